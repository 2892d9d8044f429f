"""Render every file of solutions/ and write it to, or compare it with, hw6/code/.

    python -m stencil build     # rewrite hw6/code/ from solutions/
    python -m stencil check     # exit 1 if hw6/code/ is not what build would write
"""
import os
import shutil
from pathlib import Path

from .markers import StencilError, transform

# Never generated, compared or deleted: caches, training output, weights and data, the
# 2470student flag file students add to hw6/code/, and README.md: solutions/README.md is the
# reference's hand-in README, while students fill in their own from hw6/README.md.
IGNORED_NAMES = {"__pycache__", ".pytest_cache", "outputs", "model_ckpts", "2470student", "README.md"}
IGNORED_SUFFIXES = (".pyc", ".h5", ".npz")


def show(path):
    """`path` relative to the working directory when it is below it, for readable messages."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def is_ignored(rel):
    parts = rel.split("/")
    return any(part in IGNORED_NAMES for part in parts) or rel.endswith(IGNORED_SUFFIXES)


def list_files(root):
    """Sorted POSIX paths, relative to root, of its regular files that are not ignored."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_NAMES]   # don't descend into them
        for name in filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not path.is_symlink() and not is_ignored(rel):
                found.append(rel)
    return sorted(found)


def render_file(path):
    """The bytes the stencil gets for one solutions/ file."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data                    # binary or not UTF-8: no markers to look for
    student = transform(text, show(path))
    return data if student == text else student.encode("utf-8")


def render_tree(src):
    """{relative path: bytes} for everything build writes; one StencilError lists every bad file."""
    src = Path(src)
    if not src.is_dir():
        raise StencilError(f"{show(src)}: no such directory")
    files, errors = {}, []
    for rel in list_files(src):
        try:
            files[rel] = render_file(src / rel)
        except StencilError as e:
            errors.append(str(e))
    if errors:
        raise StencilError("\n".join(errors))
    return files


def compare(expected, dest):
    """[(kind, rel)] where dest differs from `expected`; kind is "changed", "missing" or "extra"."""
    dest = Path(dest)
    present = set(list_files(dest)) if dest.is_dir() else set()
    differences = []
    for rel in sorted(expected.keys() | present):
        if rel not in present:
            differences.append(("missing", rel))
        elif rel not in expected:
            differences.append(("extra", rel))
        elif (dest / rel).read_bytes() != expected[rel]:
            differences.append(("changed", rel))
    return differences


def check_apart(src, dest):
    """Refuse overlapping folders: building into solutions/ would overwrite the answers."""
    s, d = Path(src).resolve(), Path(dest).resolve()
    if s == d or s in d.parents or d in s.parents:
        raise StencilError(f"source {show(src)} and destination {show(dest)} overlap")


def build(src, dest):
    """Make dest match src's stencil; return (actions, total).

    actions is [(action, rel)] for the files written or removed, total the number of files the
    stencil has (written or already up to date).

    Everything is rendered before anything is written, so a marker error leaves dest alone.
    """
    src, dest = Path(src), Path(dest)
    check_apart(src, dest)
    expected = render_tree(src)
    actions = []
    for kind, rel in compare(expected, dest):
        target = dest / rel
        if kind == "extra":
            target.unlink()
            actions.append(("removed", rel))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(expected[rel])
            shutil.copymode(src / rel, target)     # keep e.g. executable scripts executable
            actions.append(("wrote", rel))
    return actions, len(expected)
