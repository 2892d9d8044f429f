"""The grader's own loss, in NumPy: the per-image negative ELBO, and its common mistakes.

The grader never trusts the student's loss_function for a score: items 6 and 7 recompute the
loss from the model's outputs here, and item 3 compares the student's value with these.
"""
import numpy as np

CLIP = 1e-7  # Keras clips probabilities to [1e-7, 1 - 1e-7] before the log; so do we


CHUNK = 1000  # images per step: float64 temporaries of the whole test set would cost ~400 MB


def bce(x, x_hat):
    """Binary cross-entropy per image, summed over pixels. x, x_hat: (N, ...) -> (N,)."""
    x, x_hat = np.asarray(x).reshape(len(x), -1), np.asarray(x_hat).reshape(len(x), -1)
    out = np.empty(len(x))
    for start in range(0, len(x), CHUNK):
        xs = x[start:start + CHUNK].astype(np.float64)
        p = np.clip(x_hat[start:start + CHUNK].astype(np.float64), CLIP, 1 - CLIP)
        out[start:start + CHUNK] = -(xs * np.log(p) + (1 - xs) * np.log(1 - p)).sum(axis=1)
    return out


def kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per image, summed over latent dims. (N, Z) -> (N,)."""
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(axis=1)


def negative_elbo(x, x_hat, mu, logvar):
    """Per-image negative ELBO: BCE summed over pixels plus KL summed over latents. -> (N,)."""
    return bce(x, x_hat) + kl(mu, logvar)


def loss_variants(x_hat, x, mu, logvar):
    """What loss_function returns when written right, and when written with a known mistake.

    Returns {description: value}; the first entry is the correct loss.
    """
    n, pixels = len(x), np.asarray(x[0]).size
    rec, div = bce(x, x_hat), kl(mu, logvar)
    mu64, logvar64 = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return {
        "correct": (rec + div).mean(),
        "summed over the batch instead of averaged": (rec + div).sum(),
        "the KL term's sign flipped": (rec - div).mean(),
        "no KL term": rec.mean(),
        "no reconstruction term": div.mean(),
        "BCE averaged over pixels instead of summed": (rec / pixels + div).mean(),
        "KL averaged over latent dimensions instead of summed": (rec + div / mu64.shape[1]).mean(),
        "KL with exp(logvar) used as the standard deviation":
            (rec - 0.5 * (1 + logvar64 - mu64 ** 2 - np.exp(2 * logvar64)).sum(axis=1)).mean(),
        "KL without the factor 0.5": (rec + 2 * div).mean(),
        "everything averaged over all elements": (rec / pixels).mean() + div.mean() / mu64.shape[1],
        "batch sum of BCE but KL averaged": rec.mean() * n + div.mean(),
    }


def closest_variant(value, variants, rel_tol=1e-3):
    """The description of the variant `value` matches, or None."""
    for name, expected in variants.items():
        if abs(value - expected) <= rel_tol * max(1.0, abs(expected)):
            return name
    return None
