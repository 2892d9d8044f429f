"""Find a class's submissions: a folder of them, or a Gradescope export (zipped or not), as Entries.

Each Entry's results are kept beside it (NAME.results.json, NAME.log, NAME.report.html). A
submission that cannot be graded safely gets a `problem` instead of a grading, and its row in the
CSV says why: one that cannot be read, one the export lists but does not hold, and two that would
share one NAME (their results would overwrite each other).
"""
import json
import os
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

METADATA = "submission_metadata.yml"


@dataclass(eq=False)  # one submission on disk: a key of the executors' {entry: job}
class Entry:
    id: str
    path: Path
    submitters: list = field(default_factory=list)  # [(name, email)]
    problem: str = ""  # why it is not graded, shown as its status

    @property
    def results(self):
        return self.path.parent / f"{self.id}.results.json"

    @property
    def log(self):
        return self.path.parent / f"{self.id}.log"

    @property
    def report(self):
        return self.path.parent / f"{self.id}.report.html"

    def read_results(self):
        """This submission's results (a dict), or None if it has none that can be read."""
        if self.problem:
            return None
        try:
            return json.loads(self.results.read_text())
        except (OSError, ValueError):
            return None


def unpack_archive(src):
    """A zipped export is unpacked once, next to it, so results can be kept beside submissions."""
    dest = src.with_suffix("")
    if not dest.exists():
        with zipfile.ZipFile(src) as zf:
            zf.extractall(dest)
    return dest


def find_metadata(src):
    for candidate in [src / METADATA, *sorted(src.glob(f"*/{METADATA}"))]:
        if candidate.is_file():
            return candidate
    return None


def unreadable(path):
    """Why path cannot be read as a submission, or "" (a broken zip is read, and graded 0)."""
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return ""
    except OSError as err:
        return f"cannot be read ({err.strerror or err}): fix or remove {path.name} and run again"


def discover(src):
    """The submissions in SRC, as Entries, in a stable order."""
    src = Path(src)
    if src.is_file() and zipfile.is_zipfile(src):
        src = unpack_archive(src)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is neither a folder nor a zip file")
    metadata = find_metadata(src)
    if metadata:
        with open(metadata) as f:
            records = yaml.safe_load(f) or {}
        entries = []
        for folder, record in sorted(records.items()):
            submitters = [(s.get(":name", ""), s.get(":email", "")) for s in (record or {}).get(":submitters", [])]
            entries.append(Entry(str(folder), metadata.parent / str(folder), submitters))
    else:
        entries = [Entry(p.name[:-4] if p.suffix == ".zip" else p.name, p) for p in sorted(src.iterdir())
                   if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".zip" or p.is_symlink())]
    return check(entries)


def check(entries):
    """Give each entry that cannot be graded its problem; two that share a NAME are told apart by
    their file names, so each keeps its own row."""
    counts = Counter(e.id for e in entries)
    for entry in entries:
        if counts[entry.id] > 1:
            others = sorted(e.path.name for e in entries if e.id == entry.id)
            entry.problem = (f"{len(others)} submissions are named {entry.id!r} ({', '.join(others)}): their "
                             "results would overwrite each other; rename all but one and run again")
            entry.id = entry.path.name
        elif not os.path.lexists(entry.path):
            entry.problem = f"listed in {METADATA} but not found in the export"
        else:
            entry.problem = unreadable(entry.path)
    return entries
