"""Is TensorFlow's start-up noise kept out of the staff log, and everything else kept in it?"""
from autograder.sandbox import noise

# Captured from a train-vae stage on the CI machine (TensorFlow 2.21, no GPU), plus the lines
# other machines print (cuDNN/cuFFT/cuBLAS factories, CPU instructions, TensorRT).
STARTUP = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796166179.469490    4469 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1796166179.469949    4469 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
E0000 00:00:1796166185.010034    4469 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
E0000 00:00:1733243290.123456   12345 cuda_dnn.cc:8310] Unable to register cuDNN factory: Attempting to register factory for plugin cuDNN when one has already been registered
E0000 00:00:1733243290.123456   12345 cuda_fft.cc:485] Unable to register cuFFT factory: Attempting to register factory for plugin cuFFT when one has already been registered
E0000 00:00:1733243290.123456   12345 cuda_blas.cc:1418] Unable to register cuBLAS factory: Attempting to register factory for plugin cuBLAS when one has already been registered
I0000 00:00:1733243290.123456   12345 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
2024-12-03 16:28:11.123456: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT Warning: Could not find TensorRT
"""
STUDENT = """\
epoch 1: loss 175.5
I wonder whether oneDNN custom operations are on
E0000 00:00:1796166185.010034    4469 bfc_allocator.cc:291] Allocator (cpu) ran out of memory trying to allocate 3.00GiB
"""


def test_startup_lines_are_dropped_and_counted():
    """Are all the known start-up lines dropped, and counted?"""
    kept, dropped = noise.without_noise(STARTUP)
    assert kept == "" and dropped == len(STARTUP.splitlines())


def test_other_lines_stay_in_order():
    """Do the student's lines, and TensorFlow lines that are not known noise (an out-of-memory
    error), stay exactly as printed, in order, when mixed with the noise?"""
    mixed = "".join(a + b for a, b in zip(STARTUP.splitlines(keepends=True), STUDENT.splitlines(keepends=True)))
    mixed += "".join(STARTUP.splitlines(keepends=True)[len(STUDENT.splitlines()):])
    kept, dropped = noise.without_noise(mixed)
    assert kept == STUDENT and dropped == len(STARTUP.splitlines())
