"""Section 1: the files are where the handout says, they import, and the graded names exist."""
from . import RubricTest, item

# What the grader calls, with how many positional arguments (self included for methods).
REQUIRED = {
    "vae.py": {"VAE.__init__": 2, "VAE.call": 2, "CVAE.__init__": 2, "CVAE.call": 3,
               "reparameterize": 2, "loss_function": 4},
    "assignment.py": {"train_vae": 3},
}


def accepts(signature, positional):
    """Whether a rendered signature '(a, b=1, *args)' can be called with `positional` arguments."""
    params = [p.strip() for p in signature.strip("()").split(",") if p.strip()]
    if any(p.startswith("*") and not p.startswith("**") for p in params):
        return True
    plain = [p for p in params if not p.startswith("*")]
    required = [p for p in plain if "=" not in p]
    return len(required) <= positional <= len(plain)


class TestLayout(RubricTest):
    @item("1.1")
    def test_files_import(self):
        """vae.py and assignment.py are in hw6/code and import without errors"""
        e = self.evidence
        if e.setup_error:
            self.fail(e.setup_error)
        step = self.check_step(e.checks, "import")
        print(f"Found {e.submission.shown(e.submission.file('vae.py'))} and "
              f"{e.submission.shown(e.submission.file('assignment.py'))}; both import. "
              f"TensorFlow ran on: {step.values.get('device', 'unknown')}.")

    @item("1.2")
    def test_required_names(self):
        """VAE, CVAE, reparameterize, loss_function and train_vae exist with the handout's signatures"""
        e = self.evidence
        if e.setup_error:
            self.fail(f"Not checked: {e.setup_error}")
        problems = []
        for filename, required in REQUIRED.items():
            found = e.signatures(filename)
            missing = set(e.sanitized[filename].missing)
            for name, positional in required.items():
                owner = name.split(".")[0]
                if owner in missing:
                    problems.append(f"{filename}: {owner} is missing")
                elif name not in found:
                    problems.append(f"{filename}: {name} is missing")
                elif not accepts(found[name], positional):
                    problems.append(f"{filename}: {name}{found[name]} cannot be called with {positional} "
                                    "positional arguments, as the grader does; keep the handout's signature")
        if problems:
            self.fail("\n".join(dict.fromkeys(problems)))
        print("All graded names exist with compatible signatures.")
