"""Does the grader's NumPy decoder compute what the student's Keras decoder computes, layer by layer?

Each decoder is described as the sandbox describes it (harness_core.describe_decoder), rebuilt by
evidence/fc_decoder.py, and compared with Keras's own output on the same z (inference mode).
"""
import sys

import keras
import numpy as np
import pytest
from keras import layers

from autograder.evidence import fc_decoder
from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder" / "sandbox"))
from harness_core import describe_decoder  # noqa: E402  (a standalone sandbox module)

Z = 15
ACTIVATIONS = sorted(set(fc_decoder.ACTIVATIONS) - {"swish"})  # swish is silu's other name


def assert_rebuilt(decoder, z):
    decoder(z)  # built, as the model is before the grader describes it
    layers_, arrays = describe_decoder(decoder)
    decode = fc_decoder.rebuild(layers_, arrays)
    np.testing.assert_allclose(decode(z), np.asarray(decoder(z)), rtol=1e-4, atol=1e-5)


@pytest.fixture
def z():
    return np.random.default_rng(0).normal(size=(16, Z)).astype(np.float32) * 2


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_builtin_activation(name, z):
    """Is every Keras built-in activation rebuilt, in a Dense layer and as an Activation layer?"""
    keras.utils.set_random_seed(0)
    decoder = keras.Sequential([layers.Dense(32, activation=name), layers.Dense(32),
                                layers.Activation(name), layers.Dense(784, activation="sigmoid")])
    assert_rebuilt(decoder, z)


@pytest.mark.parametrize("layer", [
    layers.ReLU(), layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2), layers.LeakyReLU(),
    layers.LeakyReLU(negative_slope=0.05), layers.Dropout(0.3), layers.GaussianNoise(0.5),
], ids=lambda layer: f"{type(layer).__name__}{layer.get_config().get('negative_slope', '')}")
def test_plain_layers(layer, z):
    """Are ReLU (with its options), LeakyReLU and the layers inactive at test time rebuilt?"""
    keras.utils.set_random_seed(0)
    decoder = keras.Sequential([keras.Input((Z,)), layers.Dense(64), layer, layers.Dense(784, activation="sigmoid"),
                                layers.Reshape((28, 28, 1))])
    assert_rebuilt(decoder, z)


@pytest.mark.parametrize("options", [{}, {"center": False}, {"scale": False, "epsilon": 0.01}])
def test_batch_normalization_at_inference(options, z):
    """Is BatchNormalization rebuilt with its moving statistics (trained ones, not the initial 0 and 1)?"""
    keras.utils.set_random_seed(0)
    norm = layers.BatchNormalization(**options)
    decoder = keras.Sequential([keras.Input((Z,)), layers.Dense(64), norm, layers.LeakyReLU(),
                                layers.Dense(784, activation="sigmoid"), layers.Reshape((1, 28, 28))])
    rng = np.random.default_rng(1)
    norm.moving_mean.assign(rng.normal(size=64).astype(np.float32))
    norm.moving_variance.assign(rng.uniform(0.5, 2.0, 64).astype(np.float32))
    if norm.gamma is not None:
        norm.gamma.assign(rng.uniform(0.5, 1.5, 64).astype(np.float32))
    assert_rebuilt(decoder, z)


def test_unknown_layers_are_named():
    """Does a layer the grader cannot rebuild raise Unsupported naming it (so the student's own
    decodings are used, and the results say so)?"""
    decoder = keras.Sequential([keras.Input((Z,)), layers.Dense(64), layers.PReLU(), layers.Dense(784)])
    with pytest.raises(fc_decoder.Unsupported, match="layer 1 of the decoder is a PReLU"):
        fc_decoder.rebuild(*describe_decoder(decoder))


def test_every_keras_activation_is_known():
    """Does the grader know every activation Keras can name, but the two a decoder cannot use
    (glu halves its input, which a Sequential cannot follow; threshold needs arguments)?"""
    from keras.src.activations import ALL_OBJECTS
    assert {f.__name__ for f in ALL_OBJECTS} - set(fc_decoder.ACTIVATIONS) == {"glu", "threshold"}
