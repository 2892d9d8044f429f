"""Is hw6/code/ the stencil of solutions/, with the same signatures, failing loudly at each TODO?"""
import os
import re
import subprocess
import sys

import pytest

from autograder.intake.signatures import signatures
from conftest import ROOT, load_module, run_module

STENCIL, SOLUTIONS = ROOT / "hw6" / "code", ROOT / "solutions"


def test_stencil_is_up_to_date():
    """Does `python -m stencil check` find hw6/code/ up to date?"""
    proc = run_module("stencil", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# The names the grader calls or restores, per file: a solution that lost one would still match its stencil.
GRADED_NAMES = {"vae.py": {"VAE.__init__", "VAE.call", "CVAE.__init__", "CVAE.call", "reparameterize",
                           "bce_function", "loss_function"},
                "assignment.py": {"train_vae", "load_mnist", "one_hot", "parseArguments", "main"}}


@pytest.mark.parametrize("name", ["vae.py", "assignment.py"])
def test_signatures_match(name):
    """Does every function and method of the stencil have the solution's signature, graded names included?"""
    stencil = signatures((STENCIL / name).read_text())
    solution = signatures((SOLUTIONS / name).read_text())
    assert stencil == solution
    assert GRADED_NAMES[name] <= solution.keys(), f"missing from {name}: {GRADED_NAMES[name] - solution.keys()}"


def test_todos_are_numbered_and_closed():
    """Does every TODO banner have a number and a matching END TODO, and become a raise?"""
    for name in ("vae.py", "assignment.py"):
        text = (STENCIL / name).read_text()
        opened = [line.split("(")[1].split(")")[0] for line in text.splitlines() if "# TODO (" in line]
        closed = [line.split("(")[1].split(")")[0] for line in text.splitlines() if "# END TODO (" in line]
        assert opened and opened == closed
        for number in opened:
            assert f'raise NotImplementedError("TODO {number}")' in text
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


def todo_key(number):
    """A TODO number as integers, so that 1.10 sorts after 1.9: "P2.10" -> (2, 10)."""
    return tuple(int(n) for n in number.lstrip("P").split("."))


@pytest.mark.parametrize("names", [("vae.py", "assignment.py"), ("conv_vae.py",), ("latent_tools.py",), ("mmd.py",)])
def test_todo_numbers_follow_file_order(names):
    """Do the TODO numbers rise in file order (vae.py, then assignment.py), as the handout's "in order" says?"""
    numbers = [line.split("(")[1].split(")")[0] for name in names
               for line in (SOLUTIONS / name).read_text().splitlines() if "# TODO (" in line]
    assert numbers and numbers == sorted(numbers, key=todo_key), numbers


def cited_todos(handout):
    """The TODO numbers a handout names: its table's first column (1.1, 1.2 or 2.1 - 2.3) and every Px.y."""
    cited = set(re.findall(r"\bP\d+\.\d+\b", handout))
    for cell in re.findall(r"^\s*\| (\d[\d., -]*) \|", handout, flags=re.M):
        for part in cell.split(","):
            first, _, last = part.strip().partition(" - ")
            section, start = first.split(".")
            cited |= {f"{section}.{n}" for n in range(int(start), int((last or first).split(".")[1]) + 1)}
    return cited


def test_handout_names_every_todo():
    """Does hw6/HANDOUT.md name each TODO of the stencil, by its current number, and no other?"""
    banners = {line.split("(")[1].split(")")[0] for path in sorted(STENCIL.glob("*.py"))
               for line in path.read_text().splitlines() if "# TODO (" in line}
    assert cited_todos((ROOT / "hw6" / "HANDOUT.md").read_text()) == banners


def test_untouched_stencil_fails_at_first_todo():
    """Does the stencil import cleanly, then stop at the first TODO each entry point reaches?"""
    vae = load_module(STENCIL / "vae.py", "stencil_vae")
    for build, todo in [(lambda: vae.VAE(784), "TODO 1.1"), (lambda: vae.CVAE(784), "TODO 2.1"),
                        (lambda: vae.reparameterize(None, None), "TODO 3.1"),
                        (lambda: vae.loss_function(None, None, None, None), "TODO 3.2")]:
        with pytest.raises(NotImplementedError, match=todo):
            build()


def test_public_checks_pass_on_solutions():
    """Do the students' public sanity checks pass on the reference solution?"""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_sanity.py"],
                          cwd=SOLUTIONS, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_public_checks_fail_on_stencil_with_todo_messages():
    """Does every public check fail on the untouched stencil, naming a TODO?"""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", "test_sanity.py"],
                          cwd=STENCIL, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="300"))
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    assert proc.returncode == 1 and len(failed) == 9, proc.stdout[-3000:]
    assert all("NotImplementedError" in line for line in failed), failed
