"""A student's trained decoder, rebuilt in NumPy from its weights, so the grader decodes itself.

Items 5-8 score what the decoder produces. If the grader used images returned by the student's
process, a tampered process could return anything (say, the test images themselves). Weights
cannot lie that way: whatever they are, the grader's own forward pass shows how well they
decode, with noise and latents the student's process never sees.

Supported layers cover the handout's decoder and the plain layers a fully connected decoder holds:
Dense and Activation (with any of Keras's built-in activations), ReLU, LeakyReLU,
BatchNormalization (at inference, with its moving statistics), Flatten, Reshape, and the layers
that do nothing at test time (Dropout and the noise layers). A decoder with other layers is
evaluated by the student's own code instead, and the results say so.
"""
import numpy as np
from scipy.special import erf

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805  # Keras's (Klambauer et al.)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


def _softplus(x):
    return np.logaddexp(0.0, x)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu: max_value above it, x from threshold up, negative_slope * (x - threshold) below."""
    y = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else np.minimum(y, max_value)


def _sparsemax(x):
    """Sparsemax along the last axis, as Keras 3 computes it (its threshold differs from the paper's)."""
    z = -np.sort(-x, axis=-1)
    cumulative = np.cumsum(z, axis=-1)
    rank = np.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    support = z - (cumulative - 1) / rank > 0
    tau = (np.where(support, cumulative, 0.0).sum(axis=-1, keepdims=True) - 1) / support.sum(axis=-1, keepdims=True)
    return np.maximum(x - tau, 0.0)


# Keras's built-in activations by the name the harness reports (the function's __name__); glu, which
# halves its input, cannot run in a Sequential decoder, and threshold needs arguments.
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": _relu,
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),  # the function's default negative slope
    "sigmoid": _sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "sparse_sigmoid": lambda x: np.clip((x + 1.0) / 2.0, 0.0, 1.0),
    "log_sigmoid": lambda x: -_softplus(-x),
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "softplus": _softplus,
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1.0) ** 2 / 4.0)),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "softmax": _softmax,
    "log_softmax": lambda x: x - x.max(axis=-1, keepdims=True) - np.log(
        np.exp(x - x.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)),
    "sparsemax": _sparsemax,
    "exponential": np.exp,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "celu": lambda x: np.maximum(x, 0.0) + np.minimum(0.0, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / np.sqrt(2.0))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
}
# No-ops at test time: dropout, noise and regularization layers.
PASS_THROUGH = {"Dropout", "InputLayer", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                "ActivityRegularization", "Identity"}


class Unsupported(ValueError):
    """The decoder has a layer this module cannot rebuild; the message names it."""


def rebuild(layers, arrays):
    """A NumPy decoder from the harness's description: [{type, activation, target_shape}] + weights.

    Returns decode(z) -> (N, ...) outputs, as the Keras decoder would compute them.
    """
    if not isinstance(layers, list) or not layers:
        raise Unsupported("the decoder could not be described")
    ops = []
    for index, layer in enumerate(layers):
        ops.extend(_layer_ops(index, layer, arrays))

    def decode(z):
        x = np.asarray(z, dtype=np.float32)  # float32, as the model computes
        for op in ops:
            x = op(x)
        return x
    return decode


def _layer_ops(index, layer, arrays):
    """The NumPy functions (x -> y) that compute the decoder's layer `index` at inference."""
    kind, activation = layer.get("type"), layer.get("activation", "linear")
    if kind in ("Dense", "Activation") and activation not in ACTIVATIONS:
        raise Unsupported(f"activation {activation!r} in the decoder's layer {index}")
    if kind == "Dense":
        kernel = np.asarray(arrays.get(f"decoder.{index}.kernel"), dtype=np.float32)
        bias = arrays.get(f"decoder.{index}.bias")
        bias = np.zeros(kernel.shape[-1], np.float32) if bias is None else np.asarray(bias, dtype=np.float32)
        if kernel.ndim != 2 or bias.shape != (kernel.shape[1],) or not np.isfinite(kernel).all():
            raise Unsupported(f"the decoder's Dense layer {index} has malformed weights")
        return [lambda x: x @ kernel + bias, ACTIVATIONS[activation]]
    if kind == "Activation":
        return [ACTIVATIONS[activation]]
    if kind == "ReLU":
        slope, top, threshold = (_number(layer, key, default) for key, default in
                                 (("negative_slope", 0.0), ("max_value", None), ("threshold", 0.0)))
        return [lambda x: _relu(x, slope, top, threshold)]
    if kind == "LeakyReLU":
        slope = _number(layer, "negative_slope", 0.3)  # the layer's default
        return [lambda x: np.where(x > 0, x, slope * x)]
    if kind == "BatchNormalization":
        return [_batch_normalization(index, layer, arrays)]
    if kind == "Reshape":
        shape = tuple(int(d) for d in layer.get("target_shape", ()))
        return [lambda x: x.reshape((len(x),) + shape)]
    if kind == "Flatten":
        return [lambda x: x.reshape(len(x), -1)]
    if kind in PASS_THROUGH:
        return []
    raise Unsupported(f"layer {index} of the decoder is a {kind}")


def _number(layer, key, default):
    value = layer.get(key, default)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or not np.isfinite(value):
        raise Unsupported(f"the decoder's {layer.get('type')} layer has {key} = {value!r}")
    return float(value)


def _batch_normalization(index, layer, arrays):
    """BatchNormalization at inference: (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta."""
    weights = {name: arrays.get(f"decoder.{index}.{name}") for name in ("gamma", "beta", "moving_mean", "moving_variance")}
    if weights["moving_mean"] is None or weights["moving_variance"] is None:
        raise Unsupported(f"the decoder's BatchNormalization layer {index} has no moving statistics")
    axis = layer.get("axis", -1)
    axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
    if not isinstance(axis, int):
        raise Unsupported(f"the decoder's BatchNormalization layer {index} normalizes over axes {axis}")
    size = np.asarray(weights["moving_mean"]).shape
    values = {name: np.asarray(value, np.float32) if value is not None else None for name, value in weights.items()}
    if any(v is not None and v.shape != size for v in values.values()) or len(size) != 1:
        raise Unsupported(f"the decoder's BatchNormalization layer {index} has malformed weights")
    epsilon = _number(layer, "epsilon", 1e-3)
    scale = 1.0 / np.sqrt(values["moving_variance"] + np.float32(epsilon))
    if values["gamma"] is not None:
        scale = scale * values["gamma"]
    shift = -values["moving_mean"] * scale + (values["beta"] if values["beta"] is not None else 0.0)

    def normalize(x):
        shape = [1] * x.ndim
        shape[axis] = -1
        return x * scale.reshape(shape) + shift.reshape(shape)
    return normalize


def matches(decode, probe_in, probe_out, tolerance=1e-3):
    """Whether the rebuilt decoder reproduces what the student's decoder gave on probe inputs."""
    try:
        ours = decode(probe_in).reshape(len(probe_in), -1)
    except (ValueError, TypeError):
        return False
    theirs = np.asarray(probe_out, dtype=np.float64).reshape(len(probe_in), -1)
    return ours.shape == theirs.shape and bool(np.allclose(ours, theirs, atol=tolerance, rtol=tolerance))
