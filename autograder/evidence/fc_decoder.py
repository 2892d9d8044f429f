"""A student's trained decoder, rebuilt in NumPy from its weights, so the grader decodes itself.

Items 5-8 score what the decoder produces. If the grader used images returned by the student's
process, a tampered process could return anything (say, the test images themselves). Weights
cannot lie that way: whatever they are, the grader's own forward pass shows how well they
decode, with noise and latents the student's process never sees.

Supported layers cover the handout's decoder and its usual variants: Dense (with the
activations below), Flatten, Reshape, Dropout (inactive at test time) and Activation. A decoder
with other layers is evaluated by the student's own code instead, and the results say so.
"""
import numpy as np


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),  # Keras's default negative slope
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
}
PASS_THROUGH = {"Dropout", "InputLayer"}  # no-ops at test time


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
        kind, activation = layer.get("type"), layer.get("activation", "linear")
        if kind in ("Dense", "Activation") and activation not in ACTIVATIONS:
            raise Unsupported(f"activation {activation!r} in the decoder's layer {index}")
        if kind == "Dense":
            kernel = np.asarray(arrays.get(f"decoder.{index}.kernel"), dtype=np.float32)
            bias = arrays.get(f"decoder.{index}.bias")
            bias = np.zeros(kernel.shape[-1], np.float32) if bias is None else np.asarray(bias, dtype=np.float32)
            if kernel.ndim != 2 or bias.shape != (kernel.shape[1],) or not np.isfinite(kernel).all():
                raise Unsupported(f"the decoder's Dense layer {index} has malformed weights")
            ops.append(("dense", kernel, bias, ACTIVATIONS[activation]))
        elif kind == "Activation":
            ops.append(("activation", ACTIVATIONS[activation]))
        elif kind == "Reshape":
            ops.append(("reshape", tuple(int(d) for d in layer.get("target_shape", ()))))
        elif kind == "Flatten":
            ops.append(("reshape", (-1,)))
        elif kind in PASS_THROUGH:
            continue
        else:
            raise Unsupported(f"layer {index} of the decoder is a {kind}")

    def decode(z):
        x = np.asarray(z, dtype=np.float32)  # float32, as the model computes
        for op in ops:
            if op[0] == "dense":
                x = op[3](x @ op[1] + op[2])
            elif op[0] == "activation":
                x = op[1](x)
            else:
                x = x.reshape((len(x),) + op[1])
        return x
    return decode


def matches(decode, probe_in, probe_out, tolerance=1e-3):
    """Whether the rebuilt decoder reproduces what the student's decoder gave on probe inputs."""
    try:
        ours = decode(probe_in).reshape(len(probe_in), -1)
    except (ValueError, TypeError):
        return False
    theirs = np.asarray(probe_out, dtype=np.float64).reshape(len(probe_in), -1)
    return ours.shape == theirs.shape and bool(np.allclose(ours, theirs, atol=tolerance, rtol=tolerance))
