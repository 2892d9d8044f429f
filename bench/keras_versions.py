"""Does the reference run under other TensorFlow and Keras versions than the grader's? Prints a matrix from one run.

    .venv/bin/python bench/keras_versions.py                          # TF 2.16 and the newest: 12 min, 2 GB a venv
    .venv/bin/python bench/keras_versions.py --versions 2.16.1+keras==3.0.5   # with the Keras of its release day
    .venv/bin/python bench/keras_versions.py --versions 2.16 2.18.1 latest --keep --dir /tmp/tf-venvs

Not run in CI: it installs from PyPI. For each version, a scratch venv (Python as this one's)
gets `tensorflow==V.*` (or the newest, for "latest") with keras, numpy, matplotlib, h5py and
pytest as pip resolves them beside it, as a student who installs that TensorFlow today gets them
(pin any of them with "+", e.g. the Keras of the TensorFlow's release day). In each venv, on a
copy of the reference's code folder (solutions/ with hw6/requirements.txt beside it, as in hw6/):
the public checks (`python -m pytest test_sanity.py -q`), each Keras-2 name compat.py maps used
once (KERAS2 below; the reference uses none), then one epoch of each model with the reference's
main (`assignment.py --num_epochs 1 --train_images 2048`, and `--is_cvae`). Prints what was
installed, the checks passed and failed, how many Keras-2 names were mapped, each model's
training and test loss, whether each run printed compat.py's note that the versions differ from
the grader's, and the first error of a failure with the line of our code it came from.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_FILES = ("vae.py", "assignment.py", "speedups.py", "compat.py", "test_sanity.py")
PACKAGES = ("keras", "numpy", "matplotlib", "h5py", "pytest")
TRAIN_IMAGES = 2048
NOTE = "Note: you run"  # compat.version_note()'s line: these versions differ from hw6/requirements.txt's

# main() as `python assignment.py ARGS` runs it, printing its returned metrics as one JSON line.
MAIN = ("import json, sys, assignment; m = assignment.main(assignment.parseArguments(sys.argv[1:])); "
        "print('METRICS ' + json.dumps({'loss': m['final_loss'], 'test': m['test_loss']}))")
# compat.py's mappings of Keras-2 names, each used once (the reference itself uses none of them),
# after speedups.install() as in assignment.main.
KERAS2 = """
import warnings
import compat, keras, speedups, tensorflow as tf
warnings.simplefilter("ignore", compat.Keras2Mapping)
speedups.install()
v = tf.Variable([1.0, 2.0])
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(v ** 2)
tf.keras.optimizers.legacy.Adam(lr=1e-2, decay=1e-3).minimize(loss, [v], tape=tape)
adam = keras.optimizers.Adam(lr=1e-3)
adam.lr = adam.lr * 2
adam.apply_gradients([(tf.ones(2), v)])
tf.keras.optimizers.experimental.SGD(1e-2).apply_gradients([(tf.ones(2), v)])
mean = keras.metrics.Mean()
mean.reset_states()
K = keras.backend
K.exp(K.random_normal((2, 3)))
keras.losses.BinaryCrossentropy(reduction=keras.losses.Reduction.SUM)(tf.ones((2, 3)), tf.fill((2, 3), 0.5))
print(f"KERAS2 {len(compat.NOTES)}")
"""
VERSIONS = ("import importlib.metadata as md; "
            "print(' '.join(md.version(p) for p in ('tensorflow', 'keras', 'numpy')))")


def requirements(version):
    """pip's requirements for a --versions entry: "latest", "2.16" (its newest patch) or "2.16.1",
    then optionally "+keras==3.0.5" (any pins, each replacing that package's unpinned one)."""
    tensorflow, *pins = version.split("+")
    if tensorflow == "latest":
        tensorflow = "tensorflow"
    else:
        tensorflow = f"tensorflow=={tensorflow}.*" if tensorflow.count(".") == 1 else f"tensorflow=={tensorflow}"
    pinned = {re.split(r"[=<>!~]", pin)[0] for pin in pins}
    return [tensorflow, *pins, *(name for name in PACKAGES if name not in pinned)]


def first_error(text, code):
    """'file:line: the exception line' of a traceback (the deepest frame in our code folder), or ''."""
    # pytest's "E   " lines first: its "ImportError while importing test module" header names no cause
    errors = (re.findall(r"^E\s+(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", text, flags=re.M)
              or re.findall(r"^(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", text, flags=re.M))
    if not errors:
        return ""
    end = text.index(errors[0])  # the frames above the first error: a traceback's, or pytest's "file.py:12: in ..."
    frames = re.findall(r'File "([^"<]+)", line (\d+)|^([\w./-]+\.py):(\d+): ', text[:end], flags=re.M)
    ours = [f"{Path(a or c).name}:{b or d}" for a, b, c, d in frames
            if Path(a or c).parent == code or not Path(a or c).is_absolute()]
    return f"{ours[-1]}: {errors[0]}" if ours else errors[0]


def failure(text, code):
    """first_error's line, or else the output's last line."""
    return first_error(text, code) or (text.strip().splitlines() or ["no output"])[-1]


def run(python, args, cwd, timeout=1800):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="200")
    proc = subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def install(folder, version):
    """A fresh venv with this TensorFlow: (its python, the seconds pip took, 0 if reused; or pip's error)."""
    python, done = folder / "bin" / "python", folder / "installed-by-hw6-bench"
    if done.exists():  # kept by an earlier --keep run into the same --dir
        return python, 0.0, ""
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    start = time.perf_counter()
    rc, out = run(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check",
                           *requirements(version)], cwd=folder, timeout=3600)
    if rc != 0:
        return None, 0.0, (re.findall(r"^ERROR: .*$", out, flags=re.M) or out.strip().splitlines() or ["pip failed"])[0]
    done.write_text(" ".join(requirements(version)) + "\n")
    return python, time.perf_counter() - start, ""


def check(python, work, mnist):
    """One venv's row: versions, the public checks, one epoch of each model."""
    hw6 = work / "hw6"
    code = hw6 / "code"
    code.mkdir(parents=True)
    for name in CODE_FILES:
        shutil.copyfile(ROOT / "solutions" / name, code / name)
    shutil.copyfile(ROOT / "hw6" / "requirements.txt", hw6 / "requirements.txt")  # compat.py's ../requirements.txt
    row = dict(zip(("tensorflow", "keras", "numpy"), run(python, ["-c", VERSIONS], code)[1].split()[-3:]))

    rc, out = run(python, ["-m", "pytest", "test_sanity.py", "-q", "-p", "no:cacheprovider"], code)
    counts = dict((kind, int(n)) for n, kind in re.findall(r"(\d+) (passed|failed|error)", out))
    row["checks"] = f"{counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed" + (
        f", {counts['error']} error(s)" if "error" in counts else "")  # an error: in collection or a fixture
    notes = ["yes" if NOTE in out else "no"]
    row["errors"] = [] if rc == 0 else [f"test_sanity: {first_error(out, code)}"]

    rc, out = run(python, ["-c", KERAS2], code)
    mapped = re.search(r"^KERAS2 (\d+)$", out, flags=re.M)
    row["keras2"] = f"{mapped.group(1)} mapped" if rc == 0 and mapped else "FAILED"
    if row["keras2"] == "FAILED":
        row["errors"].append(f"Keras-2 names: {failure(out, code)}")

    for model, flags in (("VAE", []), ("CVAE", ["--is_cvae"])):
        args = ["-c", MAIN, "--num_epochs", "1", "--train_images", str(TRAIN_IMAGES), "--mnist", mnist, *flags]
        rc, out = run(python, args, code)
        notes.append("yes" if NOTE in out else "no")
        metrics = re.search(r"^METRICS (.*)$", out, flags=re.M)
        if rc == 0 and metrics:
            losses = json.loads(metrics.group(1))
            row[model] = f"ok {losses['loss']:.2f} / {losses['test']:.2f}"
        else:
            row[model] = "FAILED"
            row["errors"].append(f"{model}: {failure(out, code)}")
    row["note"] = " / ".join(notes)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", nargs="+", default=["2.16", "latest"],
                        help='TensorFlow versions: "latest", "2.16" (its newest patch) or "2.16.1", optionally with '
                             'pins for the rest, e.g. "2.16.1+keras==3.0.5"')
    parser.add_argument("--dir", help="where to make the venvs (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the venvs and code folders; a later run into the same --dir reuses the venvs")
    parser.add_argument("--mnist", default=os.environ.get("MNIST_NPZ") or str(Path.home() / ".keras/datasets/mnist.npz"),
                        help="mnist.npz (default: $MNIST_NPZ or Keras's cache)")
    args = parser.parse_args()
    base = Path(args.dir or tempfile.mkdtemp(prefix="hw6-tf-versions-")).resolve()
    base.mkdir(parents=True, exist_ok=True)
    rows, made = [], []
    try:
        for version in args.versions:
            folder = base / ("tf-" + re.sub(r"[^\w.-]+", "_", version))
            made.append(folder)
            print(f"TensorFlow {version}: installing {' '.join(requirements(version))} into {folder} ...",
                  file=sys.stderr, flush=True)
            python, seconds, error = install(folder / "venv", version)
            if error:
                rows.append(dict(tensorflow=version, keras="-", numpy="-", checks="not run", keras2="-",
                                 VAE="-", CVAE="-", note="-", errors=[f"pip: {error}"]))
                continue
            shutil.rmtree(folder / "work", ignore_errors=True)
            rows.append(check(python, folder / "work", args.mnist))
            print(f"  pip: {f'{seconds:.0f} s' if seconds else 'venv reused'}; {rows[-1]}", file=sys.stderr, flush=True)
    finally:
        if not args.keep:  # only what this run made: --dir may hold other things
            for folder in made if args.dir else [base]:
                shutil.rmtree(folder, ignore_errors=True)

    print(f"Python {sys.version.split()[0]}; each model: 1 epoch on {TRAIN_IMAGES} training images, "
          "loss = training loss / test loss (negative ELBO per image)")
    header = ("TensorFlow", "Keras", "NumPy", "public checks", "Keras-2 names", "VAE", "CVAE",
              "note: checks / VAE / CVAE")
    lines = [[r["tensorflow"], r["keras"], r["numpy"], r["checks"], r["keras2"], r["VAE"], r["CVAE"], r["note"]]
             for r in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines)]
    for line in (header, *lines):
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip())
    for row in rows:
        for error in row["errors"]:
            print(f"TensorFlow {row['tensorflow']}: {error}")


if __name__ == "__main__":
    main()
