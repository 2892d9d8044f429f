"""Build dist/autograder.zip for Gradescope.

The zip's root holds setup.sh and run_autograder (Gradescope's contract, both in this folder), the
pinned requirements.lock, and everything grading needs offline: the autograder package (with the
classifier weights and the harness files the sandbox runs), the stencil tool and the reference
solutions (sanitizing uses both), and data/mnist.npz. Gradescope unpacks it to /autograder/source.
"""
import stat
import zipfile
from pathlib import Path

from ..evidence.data import MNIST_SHA256, find_mnist, sha256_of

ROOT = Path(__file__).resolve().parent.parent.parent
GRADESCOPE = Path(__file__).resolve().parent
PACKAGES = ("autograder", "stencil", "solutions")
SKIPPED = ("__pycache__", ".pytest_cache", "samples", "outputs", "model_ckpts")
AT_ROOT = ("setup.sh", "run_autograder", "requirements.lock")  # from this folder to the zip's root


def files_of(package):
    for path in sorted((ROOT / package).rglob("*")):
        rel = path.relative_to(ROOT)
        if path.is_file() and not any(part in SKIPPED for part in rel.parts) and path.suffix != ".pyc":
            yield path, rel.as_posix()


def add(zf, source, name, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed time: same input, same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    zf.writestr(info, Path(source).read_bytes())


def build(out, mnist=None):
    """Write the zip to `out` and return its path."""
    mnist = find_mnist(mnist)
    if sha256_of(mnist) != MNIST_SHA256:
        raise ValueError(f"{mnist} is not the standard mnist.npz (sha256 {MNIST_SHA256[:12]}...)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        for name in AT_ROOT:
            add(zf, GRADESCOPE / name, name, executable=name != "requirements.lock")
        for package in PACKAGES:
            for path, name in files_of(package):
                if path.parent != GRADESCOPE or path.name not in AT_ROOT:
                    add(zf, path, name)
        add(zf, mnist, "data/mnist.npz")
    return out
