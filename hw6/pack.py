"""Pack your homework into hw6.zip, laid out exactly as the autograder expects. Upload that zip.

    cd hw6 && python pack.py            # runs the quick public checks first
    python pack.py --skip-checks        # just pack

The zip holds hw6/code/*.py, hw6/code/2470student (if you made it) and hw6/README.md. It
leaves out what the grader does not need (outputs/, model_ckpts/, caches, weights, data, any
file over 1 MB, and this handout's HANDOUT.md, pack.py and requirements files) and tells you
what it left out of code/.
"""
import argparse
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

HW6 = Path(__file__).resolve().parent
CODE = HW6 / "code"
REQUIRED = ("vae.py", "assignment.py")
FLAG = "2470student"
SKIPPED_DIRS = {"outputs", "model_ckpts", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
MAX_BYTES = 1 << 20


def collect():
    """(files to zip, files left out with the reason)."""
    keep, left_out = [], []
    for path in sorted(CODE.rglob("*")):
        rel = path.relative_to(HW6)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if SKIPPED_DIRS & set(rel.parts[:-1]) or path.suffix in (".h5", ".npz", ".pyc", ".keras"):
            left_out.append((rel, "training output, cache, weights or data"))
        elif path.stat().st_size > MAX_BYTES:
            left_out.append((rel, f"{path.stat().st_size >> 20} MB: too large"))
        else:
            keep.append(rel)
    readme = HW6 / "README.md"
    if readme.is_file():
        keep.append(readme.relative_to(HW6))
    return keep, left_out


def readme_warnings():
    readme = HW6 / "README.md"
    if not readme.is_file():
        return ["No hw6/README.md: the handout asks for one with your losses, accuracy and known bugs."]
    text = re.sub(r"<!--.*?-->", "", readme.read_text(errors="replace"), flags=re.S)
    # Only the core's results must be filled in; the optional parts' section may stay blank.
    results = re.search(r"^## Results\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    if "___" in (results.group(1) if results else text):
        return ["hw6/README.md still has blanks (___): fill in your losses and accuracy."]
    return []


def public_checks():
    """Run test_sanity.py; return the TODO numbers still raising NotImplementedError (or a note)."""
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                               "test_sanity.py"], cwd=CODE, capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, COLUMNS="300", TF_CPP_MIN_LOG_LEVEL="3"))
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"could not run the public checks ({err})"
    todos = sorted(set(re.findall(r"NotImplementedError: TODO ([\w.]+)", proc.stdout)))
    failed = len(re.findall(r"^FAILED", proc.stdout, flags=re.M))
    return todos, ("all public checks pass" if proc.returncode == 0 else f"{failed} public check(s) fail")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HW6.parent / "hw6.zip"), help="where to write the zip")
    parser.add_argument("--skip-checks", action="store_true", help="do not run the public checks")
    args = parser.parse_args(argv)

    missing = [name for name in REQUIRED if not (CODE / name).is_file()]
    if missing:
        sys.exit(f"error: hw6/code/{missing[0]} is missing; the autograder needs hw6/code/vae.py and assignment.py")
    warnings = readme_warnings()
    if (CODE / FLAG).exists():
        print(f"2470student flag: PRESENT (hw6/code/{FLAG}): you will be graded as a CSCI2470 student.")
    else:
        print(f"2470student flag: absent: you will be graded as a CSCI1470 student "
              f"(2470 students: `touch code/{FLAG}` and pack again).")
    if not args.skip_checks:
        todos, summary = public_checks()
        print(f"Public checks: {summary}.")
        if todos:
            warnings.append(f"TODOs not implemented yet: {', '.join(todos)}.")

    keep, left_out = collect()
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in keep:
            zf.write(HW6 / rel, Path("hw6") / rel)
    for rel, why in left_out:
        print(f"left out hw6/{rel.as_posix()} ({why})")
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"Wrote {args.out} ({len(keep)} files). Upload it to Gradescope.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
