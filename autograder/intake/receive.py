"""Take one submission in: open it, sanitize each graded file, and gather the modules student code runs with.

    vae.py, assignment.py      sanitized against the reference (a file that cannot be parsed stops grading)
    conv_vae.py, ...           the optional parts' files, when a part is on: sanitized per method; a
                               file that cannot be parsed costs only its part, a missing one is the stencil
    the student's helpers      their own extra modules, as handed in (not tests, not links)
    speedups.py, compat.py     given code, always the reference's
"""
from dataclasses import dataclass, field
from pathlib import Path

from stencil.markers import transform

from ..config import PART_SECTIONS
from .sanitize import Sanitized, SanitizeError, sanitize
from .submission import STUDENT_MODULES, SubmissionError, open_submission

PART_FILES = tuple(f"{part}.py" for part in PART_SECTIONS)  # the optional parts' (each part's module)
GIVEN_MODULES = ("speedups.py", "compat.py")  # whole files of given code: always the reference's
GRADED_FILES = STUDENT_MODULES + PART_FILES  # the files the student writes (the harness shows their frames)


@dataclass
class Intake:
    """A submission taken in: where its files are, what sanitizing did, and the code to run."""
    submission: object = None      # submission.Submission, or None when it could not be opened
    sanitized: dict = field(default_factory=dict)  # file name -> sanitize.Sanitized
    broken_parts: dict = field(default_factory=dict)  # part -> why its file could not be sanitized
    modules: dict = field(default_factory=dict)    # file name -> text or bytes, for the sandbox's code/
    error: str | None = None       # why the submission cannot be graded at all


def receive(path, dest, reference_dir, with_parts):
    """Open the submission at `path` into the folder `dest`, then sanitize it (see the module's
    docstring); an Intake that says why, instead of raising, when it cannot be graded."""
    intake = Intake()
    try:
        intake.submission = open_submission(path, dest)
        _sanitize_core(intake, Path(reference_dir))
    except (SubmissionError, SanitizeError) as err:
        intake.error = str(err)
        return intake
    if with_parts:
        _sanitize_parts(intake, Path(reference_dir))
    for extra in helper_modules(intake.submission.code_dir, intake.sanitized):
        intake.modules[extra.name] = extra.read_bytes()
    for name in GIVEN_MODULES:
        intake.modules[name] = (Path(reference_dir) / name).read_bytes()
    return intake


def helper_modules(code_dir, sanitized):
    """The student's own .py modules in code_dir: not a core file, a file in `sanitized` (the parts'
    files, when graded), given code, a test or a link."""
    return sorted(p for p in Path(code_dir).glob("*.py") if p.name not in STUDENT_MODULES + GIVEN_MODULES
                  and p.name not in sanitized and not p.name.startswith("test_") and not p.is_symlink())


def _sanitize_core(intake, reference_dir):
    for name in STUDENT_MODULES:
        reference = (reference_dir / name).read_text()
        student = intake.submission.file(name).read_text(errors="replace")
        result = sanitize(reference, transform(reference, name), student, name)
        intake.sanitized[name] = result
        intake.modules[name] = result.text


def _sanitize_parts(intake, reference_dir):
    """The optional parts' files, sanitized per method; a file not handed in grades as the stencil."""
    for name in PART_FILES:
        reference = (reference_dir / name).read_text()
        stencil = transform(reference, name)
        path = intake.submission.file(name)
        student = path.read_text(errors="replace") if path.is_file() and not path.is_symlink() else stencil
        try:
            result = sanitize(reference, stencil, student, name, methods=True)
        except SanitizeError as err:  # costs only this part: its items report the error
            intake.broken_parts[name[:-3]] = str(err)
            result = Sanitized(stencil)
        intake.sanitized[name] = result
        intake.modules[name] = result.text
