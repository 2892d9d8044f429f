"""Find the student's files in a submission folder or .zip.

Accepted layouts, as in the handout: hw6/code/{vae.py,assignment.py}, the same wrapped in one
top folder (a zip of the hw6 folder, or Gradescope's upload of it), code/..., or the two files at
the top. The README may sit in hw6/, hw6/code/ or at the top; the `2470student` flag file in
hw6/code/ (or beside the README).
"""
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

STUDENT_MODULES = ("vae.py", "assignment.py")  # the core's files, which the student writes
FLAG = "2470student"
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "outputs", "model_ckpts"}
MAX_UNZIPPED_BYTES = 200 << 20  # a zip bomb stops here
MAX_FILES = 5000


class SubmissionError(ValueError):
    """The submission cannot be read or lacks the required files; the message says what to fix."""


@dataclass
class Submission:
    root: Path                      # the unpacked submission
    code_dir: Path                  # the folder that holds vae.py and assignment.py
    readme: Path | None
    is_2470: bool
    notes: list = field(default_factory=list)

    def file(self, name):
        return self.code_dir / name

    def shown(self, path):
        return path.relative_to(self.root).as_posix() if path else None


def unzip(archive, dest):
    """Extract safely: no paths outside dest, no links, bounded size and file count."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_FILES:
                raise SubmissionError(f"the zip holds {len(members)} files; the limit is {MAX_FILES}")
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise SubmissionError(f"the zip unpacks to more than {MAX_UNZIPPED_BYTES >> 20} MiB; "
                                      "leave out model weights, outputs and data")
            for member in members:
                target = (dest / member.filename).resolve()
                if dest.resolve() not in target.parents and target != dest.resolve():
                    raise SubmissionError(f"unsafe path in zip: {member.filename}")
                if stat.S_ISLNK(member.external_attr >> 16):
                    continue  # symlinks could point anywhere on the grading machine
                zf.extract(member, dest)
    except zipfile.BadZipFile as err:
        raise SubmissionError(f"not a valid zip file: {err}") from None


def candidates(root):
    """Folders under root that hold vae.py, shallowest first; hw6/code preferred on ties."""
    found = []
    for path in root.rglob("vae.py"):
        rel = path.relative_to(root)
        if any(part in IGNORED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if path.is_file() and not path.is_symlink():
            found.append(path.parent)
    return sorted(found, key=lambda d: (not (d / "assignment.py").is_file(),
                                        not d.as_posix().endswith("hw6/code"), len(d.parts)))


def find_readme(root, code_dir):
    for folder in (code_dir.parent, code_dir, root):
        for path in sorted(folder.glob("*")):
            if path.is_file() and path.name.lower().split(".")[0] == "readme":
                return path
    return None


def locate(root):
    root = Path(root)
    found = candidates(root)
    if not found:
        listing = ", ".join(sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())[:12])
        raise SubmissionError(
            "could not find vae.py. Expected hw6/code/vae.py and hw6/code/assignment.py "
            f"(zip your hw6 folder). Files received: {listing or 'none'}")
    code_dir = found[0]
    notes = []
    missing = [name for name in STUDENT_MODULES if not (code_dir / name).is_file()]
    if missing:
        shown = code_dir.relative_to(root).as_posix() or "."
        raise SubmissionError(f"found {shown}/vae.py but not {', '.join(f'{shown}/{m}' for m in missing)}; "
                              "both files belong in hw6/code/")
    if len(found) > 1:
        notes.append("Several copies of vae.py were found; graded "
                     f"{(code_dir / 'vae.py').relative_to(root).as_posix()}.")
    readme = find_readme(root, code_dir)
    is_2470 = any((folder / FLAG).exists() for folder in (code_dir, code_dir.parent, root))
    return Submission(root, code_dir, readme, is_2470, notes)


def open_submission(path, workspace):
    """Copy or unzip `path` into workspace/submission and locate its files."""
    path = Path(path)
    dest = Path(workspace) / "submission"
    if path.is_dir():
        shutil.copytree(path, dest, symlinks=True,
                        ignore=shutil.ignore_patterns(*IGNORED_DIRS, "*.h5", "*.npz", "*.pyc"))
    elif zipfile.is_zipfile(path):
        dest.mkdir(parents=True)
        unzip(path, dest)
    elif path.exists():
        raise SubmissionError(f"{path.name} is neither a folder nor a zip file")
    else:
        raise SubmissionError(f"{path} does not exist")
    return locate(dest)
