"""The grader's own MMD, in NumPy: the handout's Gaussian kernel and the biased MMD estimate.

Item 12 scores with these, and bench/calibrate_parts.py calibrates item 12.3's limit with the
same functions, so the limit and the score cannot drift apart. (Not named mmd.py: that is the
student's module, imported by name inside the sandbox.)
"""
import numpy as np


def kernel(x, y):
    """The handout's kernel, exp(-|x - y|^2 / Z), in float64: (N, Z), (M, Z) -> (N, M)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return np.exp(-((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2) / x.shape[1])


def mmd(x, y):
    """mean k(x, x') + mean k(y, y') - 2 mean k(x, y), self-pairs included (the biased estimate)."""
    return kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean()
