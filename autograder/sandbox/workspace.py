"""One grading's folder, and who may read and write what in it.

    submission/   the upload, unpacked: the grader's alone (700)
    code/         the sanitized modules, the student's helpers and the harness: read-only to the sandbox
    data/         mnist.npz, read-only
    request/      each stage's settings (STAGE.json) and inputs (STAGE.npz), read-only
    home/         HOME and TMPDIR of the student's process, writable
    out/STAGE/    what a stage writes, writable by that stage alone
    mnt/          folders that hold the Python installation while the grader's folders are covered
"""
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .users import identity

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent  # the grader's own files: never visible to student code
# Copied into code/ beside the student's modules: what runs inside the sandbox (the harness and
# what it imports). The harness is started as code/harness.py.
HARNESS_FILES = ("harness.py", "harness_common.py", "harness_core.py", "harness_parts.py", "harness_compile.py",
                 "harness_plan.py", "harness_errors.py")


def prepare_dir(path, who, writable):
    """Make `path` a directory the sandbox user can read (and write, if `writable`) but not replace."""
    os.makedirs(path, exist_ok=True)
    if who.switched and writable:
        os.chown(path, who.uid, who.gid)
        os.chmod(path, 0o700)
    else:
        os.chmod(path, 0o755)


class Workspace:
    """A fresh folder for one grading, and the sandbox user (users.identity) it is prepared for."""

    def __init__(self, user):
        self.root = Path(tempfile.mkdtemp(prefix="hw6-grade-"))
        self.who = identity(user)

    def path(self, *parts):
        return self.root.joinpath(*parts)

    def keep_private(self, path):
        """The raw upload is the grader's, not the sandbox's."""
        os.chmod(path, 0o700)

    def install_code(self, modules):
        """Write code/: modules ({file name: text or bytes}, in order), then the harness files."""
        code = self.path("code")
        os.chmod(self.root, 0o711)  # the sandbox user may traverse it, not list it
        prepare_dir(code, self.who, writable=False)
        for name, content in modules.items():
            if isinstance(content, str):
                (code / name).write_text(content)
            else:
                (code / name).write_bytes(content)
        for name in HARNESS_FILES:
            shutil.copyfile(HERE / name, code / name)
        for path in code.iterdir():
            os.chmod(path, 0o644)

    def install_data(self, mnist):
        """data/mnist.npz, the request/ folder, and the student process's home."""
        for folder in ("data", "request"):
            prepare_dir(self.path(folder), self.who, writable=False)
        shutil.copyfile(mnist, self.path("data", "mnist.npz"))
        os.chmod(self.path("data", "mnist.npz"), 0o644)
        prepare_dir(self.path("home"), self.who, writable=True)

    def write_request(self, stage, settings, arrays):
        """request/STAGE.json and request/STAGE.npz, readable by the sandbox user."""
        self.path("request", f"{stage}.json").write_text(json.dumps(settings))
        np.savez(self.path("request", f"{stage}.npz"), **arrays)
        for suffix in ("json", "npz"):
            os.chmod(self.path("request", f"{stage}.{suffix}"), 0o644)

    def output_dir(self, stage):
        """out/STAGE, emptied, writable by the sandbox user: nothing a previous stage left can pose as output."""
        out = self.path("out", stage)
        shutil.rmtree(out, ignore_errors=True)
        prepare_dir(self.path("out"), self.who, writable=False)
        prepare_dir(out, self.who, writable=True)
        return out

    def hidden_paths(self, submission_path):
        """Folders student code must not see: the grader itself, Gradescope's /autograder, and the
        folder the submission came from (in a class regrade, other students' work)."""
        workspace = self.root.resolve()
        submission_path = Path(submission_path).resolve()
        candidates = [ROOT, Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")),
                      submission_path.parent, submission_path]
        hidden = []
        for path in sorted({p.resolve() for p in candidates}, key=lambda p: len(p.parts)):
            inside_hidden = any(Path(h) in path.parents for h in hidden)  # already covered
            if path.is_dir() and not inside_hidden and path not in workspace.parents and path != workspace:
                hidden.append(str(path))
        return hidden

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
