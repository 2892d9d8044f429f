"""The student's errors in words: a known cause and its fix in one line first, then only their own frames.

Runs INSIDE the sandboxed process, like harness.py (standalone: the standard library, TensorFlow).
"""
import os
import re
import traceback
import types

# Failures the grader cannot remove, in student code that fails the same way in the student's own
# run: (pattern of "Type: message", the cause and the change to make, in one line).
HINTS = (
    (r"tf\.function only supports singleton tf\.Variables|create variables on non-first call",
     "A tf.function of yours creates variables after its first call (a new optimizer or layer in each "
     "call): make them once, outside it; use model.optimizer, which exists before training starts."),
    (r"No module named '([\w.]+)'",
     "Your code imports {0}, which the grader does not have (it runs TensorFlow, Keras 3, NumPy, SciPy and "
     "matplotlib): remove the import, or hand the module in beside vae.py."),
    (r"Argument\(s\) not recognized: (\{.*?\})",
     "Keras 3 does not take the argument(s) {0}: use Keras 3's names (keras.io/guides/migrating_to_keras_3)."),
    (r"filename must end in `?\.weights\.h5",
     "Keras 3 saves weights only to files whose names end in .weights.h5."),
    (r"partially known TensorShape|Cannot convert a partially known",
     "Inside a tf.function the batch size is unknown: use tf.shape(x) instead of x.shape."),
    (r"numpy\(\) is only available when eager|'SymbolicTensor' object has no attribute 'numpy'|"
     r"Cannot convert a symbolic tf\.Tensor",
     "Your code calls .numpy() or NumPy on a tensor inside a tf.function: use TensorFlow operations there, "
     "or convert outside the compiled function."),
)
# What Keras 2's Model and optimizers had and Keras 3's do not: missing from a student's own
# subclass, still Keras's to explain.
KERAS2_ONLY = {"fit_generator", "evaluate_generator", "predict_generator", "get_updates", "get_gradients",
               "_decayed_lr", "_layers"}


def tf_version():
    import tensorflow as tf
    return tf.__version__


LIBRARY_LINE = re.compile(r'^\s*File "[^"]*(?:site-packages|dist-packages|/lib/python\d)[^"]*", line \d+')


def hint(err, text):
    """The one-line cause and change for a known failure (err, as "Type: message" text), or ""."""
    owner = getattr(err, "obj", None) if isinstance(err, AttributeError) else None
    modules = [owner.__name__] if isinstance(owner, types.ModuleType) else [c.__module__ for c in type(owner).__mro__]
    from_keras = [m.split(".")[0] in ("keras", "tensorflow") for m in modules]
    # A Keras object's missing attribute; on the student's own subclass, only a name Keras 2 had.
    if getattr(err, "name", None) and from_keras and (from_keras[0] or (any(from_keras) and err.name in KERAS2_ONLY)):
        return (f"{err.name} is not in Keras 3 or TensorFlow {tf_version()}, which the grader runs "
                "(keras.io/guides/migrating_to_keras_3 says what replaced it).")
    for pattern, advice in HINTS:
        match = re.search(pattern, text, flags=re.S)
        if match:
            return advice.format(*(g for g in match.groups() if g is not None))
    return ""


def trimmed(message):
    """An error message without the TensorFlow and Keras frames that tf.function lists in it."""
    lines, out, skip = message.splitlines(), [], False
    for line in lines:
        if LIBRARY_LINE.match(line):
            skip = True  # the frame's line, and the source line under it
            continue
        if skip and line.startswith(" " * 8):
            continue
        skip = False
        out.append(line)
    return "\n".join(out)


def describe(err, student_files):
    """A short, student-facing account of an exception: a known cause and its fix in one line, then
    the frames of the student's own files, then the message, as an IDE shows "just my code"."""
    if isinstance(err, NotImplementedError) and str(err).startswith("TODO"):
        return f"not implemented yet ({err})"
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.basename(f.filename) in student_files]
    where = "".join(traceback.format_list(frames[-3:]))
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # Keras colours its messages
    message = message.split("\n\nArguments received by")[0]  # Keras appends the call's arguments
    message = re.sub(r"\n\s*\n", "\n", trimmed(message)).strip()
    text = f"{type(err).__name__}: {message}"
    first = hint(err, text)
    body = f"{where}{text}"
    return (f"{first}\n{body[-1800:]}" if first else body[-2000:])
