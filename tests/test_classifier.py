"""The grader's pretrained MNIST classifier: accuracy, layouts, integrity check, input checks, CLI.

    TF_CPP_MIN_LOG_LEVEL=2 python -m pytest tests/test_classifier.py -q
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.evidence.classifier.model import (
    WEIGHTS_PATH, ClassifierIntegrityError, NumpyCNN, load_classifier, load_keras_classifier,
    predict_labels, predict_probs, to_nhwc)
from autograder.evidence.data import load_mnist_arrays

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model():
    return load_classifier()


@pytest.fixture(scope="module")
def mnist_test():
    """(x, y): x float32 (10000, 28, 28) in [0, 1], y uint8 (10000,)."""
    _, (x, y) = load_mnist_arrays()
    return x.astype(np.float32) / 255.0, y


def test_accuracy_on_full_test_set(model, mnist_test):
    x, y = mnist_test
    accuracy = float(np.mean(predict_labels(model, x[:, None]) == y))  # homework layout
    print(f"\nclassifier test accuracy: {accuracy:.4f} on {len(y)} images")
    assert accuracy >= 0.99


def test_numpy_forward_pass_is_the_keras_model(model, mnist_test):
    """The grader's NumPy CNN computes what Keras computes from the same weights: on real digits
    and on noise (blurry, ambiguous inputs like poor generations), the same labels."""
    assert isinstance(model, NumpyCNN)
    keras_model = load_keras_classifier()
    noise = np.random.default_rng(0).uniform(0, 1, (500, 1, 28, 28)).astype(np.float32)
    for images in (mnist_test[0][:2000, None], noise):
        ours, theirs = predict_probs(model, images), predict_probs(keras_model, images)
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
        np.testing.assert_array_equal(ours.argmax(axis=1), theirs.argmax(axis=1))


def test_layouts_agree(model, mnist_test):
    x = mnist_test[0][:256]
    reference = predict_labels(model, x[:, None])         # (N, 1, 28, 28)
    for layout in (x[..., None], x, x.reshape(len(x), 784), x[:, None].astype(np.float64)):
        np.testing.assert_array_equal(predict_labels(model, layout), reference)
    assert reference.dtype == np.int64 and reference.shape == (256,)


def test_probs_shape_and_sum(model, mnist_test):
    probs = predict_probs(model, mnist_test[0][:8, None])
    assert probs.shape == (8, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_empty_batch(model):
    assert predict_labels(model, np.zeros((0, 1, 28, 28), np.float32)).shape == (0,)


def test_tampered_weights_refused(tmp_path):
    tampered = tmp_path / WEIGHTS_PATH.name
    shutil.copyfile(WEIGHTS_PATH, tampered)
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    with pytest.raises(ClassifierIntegrityError, match="sha256") as info:
        load_classifier(tampered)
    assert "expected" in str(info.value) and "got" in str(info.value)


def test_copied_untampered_weights_load(tmp_path):
    copy = tmp_path / WEIGHTS_PATH.name
    shutil.copyfile(WEIGHTS_PATH, copy)
    load_classifier(copy)  # the check is on content, not on location


@pytest.mark.parametrize("bad", [
    np.zeros((4, 3, 28, 28)), np.zeros((4, 28, 28, 3)), np.zeros((4, 28, 27)),
    np.zeros((4, 783)), np.zeros((28, 28)), np.zeros(784), np.zeros((2, 1, 1, 28, 28)),
], ids=lambda a: str(a.shape))
def test_bad_shapes_rejected(bad):
    with pytest.raises(ValueError, match="shape"):
        to_nhwc(bad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_rejected(value):
    x = np.zeros((2, 1, 28, 28), np.float32)
    x[1, 0, 5, 5] = value
    with pytest.raises(ValueError, match="NaN or infinite"):
        to_nhwc(x)


@pytest.mark.parametrize("value", [-0.5, 1.5, 255.0])
def test_out_of_range_rejected(value):
    x = np.full((2, 28, 28), 0.5, np.float32)
    x[0, 3, 3] = value
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_nhwc(x)


def test_uint8_pixels_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_nhwc(np.full((1, 28, 28), 255, np.uint8))


def test_non_numeric_rejected():
    with pytest.raises(ValueError, match="dtype"):
        to_nhwc(np.full((1, 784), "a"))


def test_rounding_overshoot_accepted_and_clipped():
    x = np.full((1, 784), 1.0 + 1e-6, np.float32)
    x[0, 0] = -1e-6
    out = to_nhwc(x)
    assert out.shape == (1, 28, 28, 1) and out.min() == 0.0 and out.max() == 1.0


def run_cli(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "autograder.evidence.classifier.predict", *map(str, args)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_cli_round_trip(tmp_path, model, mnist_test):
    x, y = mnist_test
    images = x[:64, None]  # (64, 1, 28, 28) float32
    np.savez(tmp_path / "in.npz", images=images)
    result = run_cli(tmp_path / "in.npz", tmp_path / "out.npz")
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "out.npz") as out:
        labels, probs = out["labels"], out["probs"]
    assert labels.dtype == np.int64 and labels.shape == (64,)
    assert probs.dtype == np.float32 and probs.shape == (64, 10)
    np.testing.assert_array_equal(labels, predict_labels(model, images))
    np.testing.assert_array_equal(labels, probs.argmax(axis=1))


@pytest.mark.parametrize("content", ["nan", "shape", "missing_key"])
def test_cli_bad_input_exits_nonzero_with_one_line(tmp_path, content):
    images = np.zeros((3, 1, 28, 28), np.float32)
    if content == "nan":
        images[0, 0, 0, 0] = np.nan
    if content == "shape":
        images = np.zeros((3, 28, 28, 3), np.float32)
    arrays = {"pixels": images} if content == "missing_key" else {"images": images}
    np.savez(tmp_path / "in.npz", **arrays)
    result = run_cli(tmp_path / "in.npz", tmp_path / "out.npz")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert not (tmp_path / "out.npz").exists()
