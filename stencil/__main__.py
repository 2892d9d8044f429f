"""Command line for the stencil generator.

    python -m stencil build                          # solutions/ -> hw6/code/
    python -m stencil check                          # exit 0 if up to date, 1 if not, 2 on marker errors
    python -m stencil build --src solutions --dest /tmp/hw6-code
"""
import argparse
import difflib
import sys
from pathlib import Path

from .markers import StencilError
from .tree import build, check_apart, compare, render_tree, show

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = ROOT / "solutions"
DEFAULT_DEST = ROOT / "hw6" / "code"
DIFF_LINES = 20


def short_diff(old, new, rel):
    """At most DIFF_LINES lines of unified diff from the current file to the generated one."""
    if b"\0" in old or b"\0" in new:
        return ["(binary files differ)"]
    lines = list(difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(), new.decode("utf-8", "replace").splitlines(),
        f"{rel} (current)", f"{rel} (generated)", lineterm=""))
    if not lines:                      # same text, different line endings
        return ["(only line endings differ)"]
    if len(lines) > DIFF_LINES:
        lines = lines[:DIFF_LINES] + [f"... ({len(lines) - DIFF_LINES} more diff lines)"]
    return lines


def run_build(src, dest):
    actions, total = build(src, dest)
    for action, rel in actions:
        note = f" (not generated from {show(src)}/)" if action == "removed" else ""
        print(f"{action} {show(dest / rel)}{note}")
    written = sum(action == "wrote" for action, _ in actions)
    removed = len(actions) - written
    print(f"{show(dest)}: {written} written, {removed} removed, {total - written} unchanged")
    return 0


def run_check(src, dest, build_command):
    check_apart(src, dest)
    expected = render_tree(src)
    differences = compare(expected, dest)
    if not differences:
        print(f"{show(dest)} is up to date with {show(src)} ({len(expected)} files)")
        return 0
    print(f"{show(dest)} is out of date with {show(src)}:")
    for kind, rel in differences:
        print(f"  {kind:8} {show(dest / rel)}")
        if kind == "changed":
            for line in short_diff((dest / rel).read_bytes(), expected[rel], rel):
                print(f"      {line}")
    print(f"run `{build_command}`")
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m stencil",
        description="Generate the student stencil (hw6/code/) from the reference code (solutions/).")
    parser.add_argument("command", choices=["build", "check"],
                        help="build: write the stencil; check: exit 1 if it is out of date")
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC,
                        help="reference code folder (default: solutions/)")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help="stencil folder (default: hw6/code/)")
    args = parser.parse_args(argv)
    # The hint repeats any overrides so that it fixes exactly what was checked.
    build_command = "python -m stencil build" + "".join(
        f" --{name} {value}" for name, value, default in
        [("src", args.src, DEFAULT_SRC), ("dest", args.dest, DEFAULT_DEST)] if value != default)
    try:
        if args.command == "build":
            return run_build(args.src, args.dest)
        return run_check(args.src, args.dest, build_command)
    except StencilError as e:
        done = "nothing written" if args.command == "build" else "stencil not compared"
        print(f"stencil {args.command}: {done}:\n{e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
