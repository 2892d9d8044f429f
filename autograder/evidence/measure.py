"""The grader's own measurements of a model the sandbox exported: its loss, its reconstructions, its digits.

The grader rebuilds the decoder from its weights (fc_decoder.py) and decodes with noise and
latents of its own, which the student's process never sees; only a decoder it cannot rebuild is
measured by the student's own decodings, and the results say so. Every array is validated first.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..sandbox.harness_plan import IMAGE_PIXELS, NUM_CLASSES
from ..sandbox.outcome import Unavailable
from . import elbo, fc_decoder

PREVIEW = 8  # test images the feedback shows reconstructed (items 6.1 and 7.1)


@dataclass
class Evaluation:
    """A fully trained model, as the grader measured it."""
    test_loss: float               # the grader's negative ELBO per image, MNIST test set
    train_losses: list             # the student's train_vae return / batches, per epoch
    epoch_seconds: list
    decode: object = None          # the rebuilt decoder (fc_decoder), or None if it could not be
    reconstructions: object = None  # (PREVIEW, H * W): the first test images decoded, for feedback


@dataclass
class Measured:
    """The grader's loss on held-out images, and how the images were decoded."""
    loss: float
    decode: object  # the rebuilt decoder, or None when the student's own decodings were used
    note: str       # why the student's own decodings were used, or ""
    reconstructions: object = None  # (PREVIEW, H * W): the first images decoded from mu (or theirs)


def validated(arrays, key, shape, lo=None, hi=None):
    """arrays[key] checked for shape, finiteness and range, or Unavailable naming the problem."""
    value = arrays.get(key)
    if value is None or not np.issubdtype(np.asarray(value).dtype, np.number):
        raise Unavailable(f"The model's {key} could not be computed.")
    value = np.asarray(value, dtype=np.float32)
    if value.shape != tuple(shape):
        raise Unavailable(f"The model's {key}: expected shape {tuple(shape)}, got {value.shape}.")
    if not np.isfinite(value).all():
        raise Unavailable(f"The model's {key} contains NaN or infinite values.")
    if (lo is not None and value.min() < lo - 1e-6) or (hi is not None and value.max() > hi + 1e-6):
        raise Unavailable(f"The model's {key} has values outside [{lo}, {hi}].")
    return value


def number(value, default=math.nan):
    """A value the student's process reported, as a float (default if it is not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def measure(step, images, labels, kind, secret, probe, latent_size, prefix=""):
    """The grader's negative ELBO per image of a model a step exported (see harness_core.export_vae).

    The grader rebuilds the decoder from its weights and decodes z = mu + sigma * eps with its
    own `secret` noise (a generator). Only if the decoder cannot be rebuilt, or does not reproduce
    the student's decoder on the `probe` inputs, are the student's own decodings used (with a note).
    """
    arrays, z = step.arrays, int(latent_size)
    mu = validated(arrays, prefix + "mu", (len(images), z))
    logvar = validated(arrays, prefix + "logvar", (len(images), z))
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels] if kind == "cvae" else None
    decode, note = None, ""
    try:
        weights = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix + "decoder.")}
        candidate = fc_decoder.rebuild(step.values.get(prefix + "decoder"), weights)
        if fc_decoder.matches(candidate, probe, arrays.get(prefix + "probe", np.zeros(0))):
            decode = candidate
        else:
            note = "the decoder rebuilt from its weights does not reproduce your decoder's outputs"
    except fc_decoder.Unsupported as why:
        note = f"its decoder cannot be rebuilt from weights ({why})"
    if decode:
        eps = secret.standard_normal(mu.shape).astype(np.float32)
        z_sample = mu + np.exp(0.5 * logvar) * eps
        decoder_in = z_sample if one_hot is None else np.concatenate([z_sample, one_hot], axis=1)
    else:
        theirs = validated(arrays, prefix + "x_hat", (len(images), IMAGE_PIXELS), 0.0, 1.0)
    losses = []
    for rows in (slice(i, i + elbo.CHUNK) for i in range(0, len(images), elbo.CHUNK)):  # bounded memory
        x_hat = np.clip(decode(decoder_in[rows]).reshape(-1, IMAGE_PIXELS), 0.0, 1.0) if decode else theirs[rows]
        losses.append(elbo.negative_elbo(images[rows] / np.float32(255.0), x_hat, mu[rows], logvar[rows]))
    step.__dict__.pop("arrays", None)  # drop the loaded arrays (cached_property); reread if needed
    head = slice(0, PREVIEW)  # the first images, decoded from mu itself for the feedback figures
    shown = theirs[head] if not decode else np.clip(decode(
        mu[head] if one_hot is None else np.concatenate([mu[head], one_hot[head]], axis=1)), 0.0, 1.0)
    return Measured(float(np.concatenate(losses).mean()), decode, note, shown.reshape(-1, IMAGE_PIXELS))


def generate(decode, rng, per_digit, latent_size):
    """The CVAE's generations, (C * per_digit, H * W) in blocks by digit, decoded by the grader's
    rebuilt decoder from z ~ N(0, I) drawn from `rng`."""
    count = NUM_CLASSES * per_digit
    z = rng.standard_normal((count, int(latent_size)))
    labels = np.eye(NUM_CLASSES, dtype=np.float32)[np.repeat(np.arange(NUM_CLASSES), per_digit)]
    images = decode(np.concatenate([z.astype(np.float32), labels], axis=1))
    return np.clip(images.reshape(count, -1), 0.0, 1.0)
