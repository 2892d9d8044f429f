"""Drop TensorFlow's known start-up noise from a stage's captured output, before the staff log.

Every TensorFlow process prints the same lines when it starts (absl's "All log messages
before absl::InitializeLog()", oneDNN, CUDA probing on a machine without a GPU, cuDNN/cuFFT/cuBLAS
factory registration, CPU instruction hints). They bury what the student's code printed, so the
grader leaves them out of the staff log and says how many it left out. Only lines that match a
known message are dropped; anything else, the student's own output included, stays.
"""
import re

# C++ log lines: "I0000 00:00:1796166179.469490    4469 port.cc:153] message" (absl, TF >= 2.16)
# or "2024-12-03 16:28:11.123456: W tensorflow/.../py_utils.cc:38] message" (older TensorFlow)
CPP_LOG = re.compile(r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+|\d{4}-\d\d-\d\d \d\d:\d\d:[\d.]+: [IWEF])"
                     r" [\w./-]+:\d+\] (?P<message>.*)$")
CPP_NOISE = (
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "computation placer already registered",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "TF-TRT Warning: Could not find TensorRT",
    "successful NUMA node read from SysFS had negative value",
    "Skipping the delay kernel",
    "could not open file to read NUMA node",
    "Your kernel may have been built without NUMA support",
)
WHOLE_LINES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
)
LINE_STARTS = (
    "To enable the following instructions:",  # the second half of the CPU-instructions hint
)


def is_noise(line):
    """Whether one output line is a known TensorFlow start-up message."""
    line = line.rstrip()
    if line in WHOLE_LINES or line.startswith(LINE_STARTS):
        return True
    match = CPP_LOG.match(line)
    return bool(match) and any(phrase in match["message"] for phrase in CPP_NOISE)


def without_noise(text):
    """(text without the known noise lines, how many lines were dropped)."""
    kept, dropped = [], 0
    for line in text.splitlines(keepends=True):
        if is_noise(line):
            dropped += 1
        else:
            kept.append(line)
    return "".join(kept), dropped
