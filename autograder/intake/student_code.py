"""The code a student wrote, as the sanitizer finds it: what similarity compares and the weights scan reads.

A student writes the definitions that hold a TODO, their own helpers (imports, functions,
constants) and their own helper modules; everything else is given code, restored at grading, so
it is left out. The untouched stencil's own pieces (stencil_code) are the boilerplate every
submission starts from.
"""
import functools
from dataclasses import dataclass, field
from pathlib import Path

from stencil.markers import transform

from .receive import GRADED_FILES, PART_FILES, helper_modules
from .sanitize import SanitizeError, sanitize
from .submission import STUDENT_MODULES, SubmissionError, open_submission

MAX_HELPER_BYTES = 1 << 20  # a helper module larger than this is data, not code: left unread


@dataclass
class StudentCode:
    """{file name: [(line, source)]} of what one submission's student wrote, in their file's order."""
    pieces: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)  # file name -> why it could not be read (a syntax error, ...)
    error: str | None = None                        # why the submission could not be opened at all
    oversized: dict = field(default_factory=dict)   # helper module -> its bytes, when over MAX_HELPER_BYTES

    def texts(self):
        """Every piece, each under a comment that names its file and line (comments never match)."""
        return [f"# --- {name}, line {line}\n{source.rstrip()}\n\n"
                for name in sorted(self.pieces) for line, source in self.pieces[name]]


@functools.lru_cache(maxsize=None)
def _given(reference_dir, name):
    """(the reference's text, the stencil's text) of a graded file."""
    reference = (Path(reference_dir) / name).read_text()
    return reference, transform(reference, name)


def _owned(reference_dir, name, student_text):
    reference, stencil = _given(reference_dir, name)
    return sanitize(reference, stencil, student_text, name, methods=name in PART_FILES).student


def read_student_code(path, scratch, reference_dir):
    """StudentCode of the submission at `path` (a folder or .zip), unpacked into the folder `scratch`."""
    try:
        return code_of(open_submission(path, scratch), reference_dir)
    except SubmissionError as err:
        return StudentCode(error=str(err))


def code_of(submission, reference_dir):
    """StudentCode of a submission already located (submission.Submission): each graded file handed
    in, the optional parts' too (whether or not they are graded), as the sanitizer finds it."""
    code = StudentCode()
    for name in GRADED_FILES:
        file = submission.file(name)
        if name not in STUDENT_MODULES and (not file.is_file() or file.is_symlink()):
            continue  # an optional part not handed in: the stencil's
        try:
            code.pieces[name] = _owned(str(reference_dir), name, file.read_text(errors="replace"))
        except SanitizeError as err:
            code.unreadable[name] = str(err)
    for module in helper_modules(submission.code_dir, {**code.pieces, **code.unreadable}):
        size = module.stat().st_size
        if size > MAX_HELPER_BYTES:  # not parsed nor tokenized: the grader's memory and time stay small
            code.oversized[module.name] = size
        else:
            code.pieces[module.name] = [(1, module.read_text(errors="replace"))]
    return code


def stencil_code(reference_dir):
    """StudentCode of the untouched stencil: the boilerplate given to every student."""
    return StudentCode({name: _owned(str(reference_dir), name, _given(str(reference_dir), name)[1])
                        for name in GRADED_FILES})
