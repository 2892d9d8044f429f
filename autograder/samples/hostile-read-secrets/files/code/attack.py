"""Hostile: look for the grader's secrets the way a student could, report what was readable."""
import glob
import os
import sys

TARGETS = ["solutions/vae.py", "autograder/config.toml", "autograder/evidence/classifier/mnist_cnn.weights.h5",
           "submission_metadata.json", "source/solutions/vae.py"]


def places():
    """Folders worth trying: /autograder, and every ancestor of every path any process names."""
    starts = {"/autograder", os.path.realpath(sys.executable), os.path.abspath(__file__), os.getcwd()}
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            starts.update(a.decode(errors="ignore") for a in open(cmdline, "rb").read().split(b"\0")
                          if a.startswith(b"/"))
        except OSError:
            pass
    folders = set()
    for start in starts:
        path = start
        while path not in ("/", ""):
            folders.add(path)
            path = os.path.dirname(path)
    return folders


readable, tried = [], 0
for folder in sorted(places()):
    for target in TARGETS + [os.path.join("..", "submission", "hw6", "code", "vae.py")]:
        path = os.path.normpath(os.path.join(folder, target))
        tried += 1
        try:
            with open(path, "rb") as f:
                readable.append(f"{path}: {f.read(60)!r}")
        except OSError:
            pass
    try:  # other students' work, in a class regrade
        readable += [f"listed {folder}: {n}" for n in os.listdir(folder) if n.endswith(".results.json")][:3]
    except OSError:
        pass
if readable:
    raise RuntimeError("LEAKED " + " | ".join(readable[:5]))
raise RuntimeError(f"nothing readable among {tried} paths")
