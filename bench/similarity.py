"""Time the similarity report on a generated class (300 submissions), or calibrate its threshold on the samples.

    .venv/bin/python bench/similarity.py [--count 300] [--seed 0]
    .venv/bin/python bench/similarity.py --samples      # the threshold's calibration

Each generated submission takes each graded definition (VAE, CVAE, reparameterize,
loss_function, train_vae) from one of the six correct samples (the reference,
original-stencil-style, style-*), chosen at random, renames its local variables and arguments,
drops its comments (ast.unparse) and shuffles the order of its definitions; one in ten is such a
disguised copy of an earlier one. Then it runs `python -m autograder similarity` on the class
and prints the wall time of the whole command, and of its phases measured in this process (read,
sanitize and fingerprint, compare, write the CSV and the page), with how many pairs matched.

--samples compares the six correct samples (written independently), the untouched stencil, and a
disguised copy of each correct sample (the same renaming, comments dropped, definitions
shuffled), and prints every pair's similarity: the independent pairs must stay below
[integrity] similarity_threshold, the copies above it, the stencil at 0.
"""
import argparse
import ast
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import samples  # noqa: E402
from autograder.config import load_config  # noqa: E402
from autograder.results import similarity  # noqa: E402
from autograder.results.batch import discover  # noqa: E402
from autograder.results.similarity_page import similarity_page  # noqa: E402

BASES = ["reference", "original-stencil-style", "style-adam-in-train-vae", "style-flat-decoder-eager-loss",
         "style-keras-random-prints", "style-optimizer-in-init"]
OWNED = {"vae.py": ("VAE", "CVAE", "reparameterize", "loss_function"), "assignment.py": ("train_vae",)}
KEEP = {"self", "tf", "keras", "np", "layers", "super", "zip", "float", "int", "len", "range", "sum", "print",
        "enumerate", "one_hot", "loss_function", "reparameterize", "reparametrize", "bce_function", "NUM_CLASSES",
        "IMAGE_SHAPE", "Sequential", "Dense", "Flatten", "Reshape", "exp", "sqrt", "square", "True", "False", "None"}


class Renamer(ast.NodeTransformer):
    """Renames every local variable and argument (not modules, builtins or the given names)."""

    def __init__(self, rng):
        self.rng, self.names = rng, {}

    def new(self, name):
        if name in KEEP:
            return name
        return self.names.setdefault(name, f"{self.rng.choice('abcdxyz')}{len(self.names)}")

    def visit_Name(self, node):
        node.id = self.new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.new(node.arg)
        return node


def definitions(name):
    """{file: {definition name: ast node}} of a correct sample's graded definitions, and its imports."""
    folder = samples.materialize(name, Path(tempfile.mkdtemp()) / name) / "hw6" / "code"
    found, imports = {}, []
    for file, names in OWNED.items():
        tree = ast.parse((folder / file).read_text())
        imports += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        by_name = {getattr(n, "name", None): n for n in tree.body}
        by_name.setdefault("reparameterize", by_name.get("reparametrize"))
        found[file] = {n: by_name[n] for n in names}
    return found, imports


def generate(folder, count, seed):
    rng = random.Random(seed)
    pieces = {name: definitions(name) for name in BASES}
    made = []
    for index in range(count):
        target = folder / f"student{index:03d}" / "hw6" / "code"
        target.mkdir(parents=True)
        if made and rng.random() < 0.1:  # a disguised copy of an earlier submission
            source = rng.choice(made)
            files = {file: ast.parse((source / file).read_text()) for file in OWNED}
        else:
            files = {}
            for file, names in OWNED.items():
                body = []
                for name in names:
                    defs, imports = pieces[rng.choice(BASES)]
                    body += [*imports, defs[file][name]]
                files[file] = ast.Module(body=body, type_ignores=[])
        write_disguised(files, target, rng)
        made.append(target)
    return folder


def write_disguised(files, target, rng):
    """Write each file's tree ({name: ast.Module}) to target/: renamed, comments dropped, shuffled."""
    for file, tree in files.items():
        tree = Renamer(rng).visit(ast.parse(ast.unparse(tree)))  # a fresh copy, renamed
        head = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        rest = [n for n in tree.body if n not in head]
        rng.shuffle(rest)
        (target / file).write_text(ast.unparse(ast.Module(body=head + rest, type_ignores=[])) + "\n")


def calibrate(tmp):
    """Every pair's similarity among the correct samples, the stencil and a disguised copy of each."""
    src, rng = tmp / "class", random.Random(0)
    for name in BASES + ["untouched-stencil"]:
        code = samples.materialize(name, src / name) / "hw6" / "code"
        if name in BASES:
            target = src / f"copy-of-{name}" / "hw6" / "code"
            target.mkdir(parents=True)
            write_disguised({file: ast.parse((code / file).read_text()) for file in OWNED}, target, rng)
    submissions = similarity.read_all(discover(src), [], tmp / "scratch")
    pairs = {frozenset((p.a.name, p.b.name)): p.similarity for p in similarity.compare(submissions)}
    threshold = load_config().integrity["similarity_threshold"]
    independent = sorted(((pairs.get(frozenset((a, b)), 0.0), a, b) for i, a in enumerate(BASES) for b in BASES[i + 1:]),
                         reverse=True)
    print(f"independent correct samples, every pair (threshold {threshold:g}):")
    for value, a, b in independent:
        print(f"  {value:.3f}  {a} / {b}")
    print("each correct sample and its disguised copy:")
    for name in BASES:
        print(f"  {pairs.get(frozenset((name, f'copy-of-{name}')), 0.0):.3f}  {name}")
    stencil = max((v for k, v in pairs.items() if "untouched-stencil" in k), default=0.0)
    print(f"the untouched stencil against anything: at most {stencil:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", action="store_true", help="calibrate the threshold on the samples instead")
    args = parser.parse_args()
    if args.samples:
        with tempfile.TemporaryDirectory() as tmp:
            return calibrate(Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        src = generate(Path(tmp) / "class", args.count, args.seed)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "autograder", "similarity", src, "--out", Path(tmp) / "s.html",
                               "--csv", Path(tmp) / "pairs.csv"], cwd=ROOT, capture_output=True, text=True)
        command = time.perf_counter() - start
        print(proc.stdout.strip() or proc.stderr[-2000:])
        print(f"`python -m autograder similarity` on {args.count} submissions: {command:.1f} s")

        threshold = load_config().integrity["similarity_threshold"]
        start = time.perf_counter()
        submissions = similarity.read_all(discover(src), [], Path(tmp) / "scratch")
        read = time.perf_counter()
        pairs = similarity.compare(submissions)
        compared = time.perf_counter()
        similarity.write_csv(pairs, Path(tmp) / "again.csv")
        similarity_page(submissions, pairs, threshold)
        written = time.perf_counter()
    total = args.count * (args.count - 1) // 2
    print(f"phases, in this process: read, sanitize and fingerprint (in parallel) {read - start:.1f} s; compare "
          f"{compared - read:.1f} s ({total:,} pairs, {len(pairs):,} with code in common, "
          f"{sum(p.similarity >= threshold for p in pairs)} at or above {threshold:g}); "
          f"CSV and page {written - compared:.1f} s")


if __name__ == "__main__":
    main()
