"""Signals for staff that a submission ships trained weights instead of training: never scored.

    code_findings(code)     student code that loads weights or holds large arrays: load_weights,
                            np.load, ..., a long numeric or base64 literal. Only what the student
                            wrote is read (intake.student_code), so the given load_weights helper
                            and read_mnist's np.load never count.
    first_epoch(...)        a first epoch whose loss per image is below what an honest model reaches
                            in one epoch of as many steps ([integrity] first_epoch_floor,
                            calibrated by bench/first_epoch.py; docs/measurements.md).
    flags(evidence, ...)    both, from what grading already gathered (no stage runs for them).
"""
import ast
import math
import re
import textwrap

from ..intake.student_code import MAX_HELPER_BYTES, code_of
from ..sandbox.outcome import Unavailable

LOADERS = {"load_weights", "load_model", "set_weights"}  # Keras's ways to put trained weights in a model
ARRAY_READERS = {"np.load", "numpy.load", "np.loadtxt", "numpy.loadtxt", "np.fromfile", "numpy.fromfile",
                 "np.frombuffer", "numpy.frombuffer", "pickle.load", "pickle.loads", "h5py.File",
                 "base64.b64decode", "base64.b85decode"}
LONG_TEXT = 1000      # characters of base64 or hex in one string: an encoded array, not a message
LONG_NUMBERS = 256    # numbers in one literal list or tuple: an array of weights, not a setting
ENCODED = re.compile(r"[A-Za-z0-9+/=_\-\s]+")
SCALE = 2.0           # the student's loss and the grader's agree within this factor when on one scale


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return None


def _numbers(node):
    """Numbers in a literal made only of lists, tuples and numbers, or None if it holds anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _numbers(node.operand)
    if isinstance(node, (ast.List, ast.Tuple)):
        counts = [_numbers(e) for e in node.elts]
        return None if None in counts else sum(counts)
    return None


def _findings(tree):
    """(line, what) of every loader call and long literal in a parsed piece of code."""
    found, inside = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func) or ""
            if name.rpartition(".")[2] in LOADERS or name in ARRAY_READERS:
                found.append((node.lineno, f"calls {name}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and len(node.value) >= LONG_TEXT:
            text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
            if ENCODED.fullmatch(text) and sum(c.isspace() for c in text) < 0.05 * len(text):  # not prose
                found.append((node.lineno, f"holds an encoded literal of {len(text):,} characters"))
        elif isinstance(node, (ast.List, ast.Tuple)) and id(node) not in inside:
            inside.update(id(sub) for sub in ast.walk(node))  # count the outermost literal once
            count = _numbers(node)
            if count and count >= LONG_NUMBERS:
                found.append((node.lineno, f"holds a literal of {count:,} numbers"))
    return found


def code_findings(code):
    """'FILE line N calls np.load', ... for the student's code (an intake.student_code.StudentCode)."""
    found = [f"{name} is {size:,} bytes, too large to read as code" for name, size in sorted(code.oversized.items())]
    for name in sorted(code.pieces):
        for first, source in code.pieces[name]:
            if len(source) > MAX_HELPER_BYTES:  # parsing it would cost the grader more than it tells
                found.append(f"{name} line {first} starts {len(source):,} characters of code, too large to read")
                continue
            try:
                tree = ast.parse(textwrap.dedent(source))
            except (SyntaxError, ValueError):
                continue  # graded files parse (the sanitizer checked); a helper module that does not is inert
            found += [f"{name} line {first + line - 1} {what}" for line, what in _findings(tree)]
    return found


def floor_at(table, steps):
    """The first-epoch floor for an epoch of `steps` batches: table's [steps, loss] pairs
    interpolated in log(steps); None outside the calibrated range."""
    if not table[0][0] <= steps <= table[-1][0]:
        return None
    for (s0, l0), (s1, l1) in zip(table, table[1:]):
        if s0 <= steps <= s1:
            t = (math.log(steps) - math.log(s0)) / (math.log(s1) - math.log(s0))
            return l0 + t * (l1 - l0)
    return float(table[0][1])  # a table of one point


def first_epoch(kind, first, last, test_loss, steps, table):
    """(the staff log's line, a flag or None) for model `kind`: the student's first and last epoch
    losses per image, the grader's test loss, the first epoch's steps, the floor table."""
    name = kind.upper()
    floor = floor_at(table, steps)
    seen = f"{name}: first epoch {first:.1f} per image in {steps} steps"
    if floor is None:
        return f"{seen}; not judged: the floor is calibrated for {table[0][0]}-{table[-1][0]} steps", None
    if not (last > 0 and 1 / SCALE <= test_loss / last <= SCALE):
        return (f"{seen}; not judged: train_vae's loss ({last:.3g} in the last epoch) is not on the scale "
                f"of the grader's ({test_loss:.1f})"), None
    if first >= floor:
        return f"{seen}, above the honest floor of {floor:.1f}", None
    flag = (f"{name}'s first epoch reached {first:.1f} per image in {steps} steps, below the honest floor of "
            f"{floor:.1f} for an epoch that long: were trained weights loaded? (grader's test loss {test_loss:.1f})")
    return f"{seen}, below the honest floor of {floor:.1f}", flag


def flags(evidence, log, reference_dir):
    """The flags of what grading gathered (the code as taken in, read against the reference in
    reference_dir; the trained models' epochs), each logged to the staff log with what was checked;
    nothing here runs a stage or changes a score."""
    found = []
    if evidence.submission is not None:
        code = code_findings(code_of(evidence.submission, reference_dir))
        log(f"[integrity] student code: {len(code)} places load weights or hold arrays")
        found += [f"student code loads weights or holds arrays: {'; '.join(code)}"] if code else []
    for kind in ("vae", "cvae"):
        evaluation = evidence.evaluated(kind)
        if evaluation is None or not evaluation.train_losses:
            continue
        try:
            steps = int(evidence.model(kind).require("build").values.get("batches") or 0)
        except Unavailable:
            continue
        line, flag = first_epoch(kind, evaluation.train_losses[0], evaluation.train_losses[-1],
                                 evaluation.test_loss, steps, evidence.config.integrity["first_epoch_floor"])
        log(f"[integrity] {line}")
        found += [flag] if flag else []
    for flag in found:
        log(f"INTEGRITY FLAG (for staff, never scored): {flag}")
    return found
