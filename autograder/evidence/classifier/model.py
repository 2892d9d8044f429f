"""The MNIST CNN, its integrity-checked loader, and batched inference on any accepted layout.

The grader classifies with NumPy (NumpyCNN: the same layers, read from the same weights file),
so grading never starts TensorFlow for it: that cost ~14 s of Gradescope's 1/2 vCPU. Keras
builds and trains the CNN (train.py) and is imported only inside the functions that need it.
"""
from pathlib import Path

import numpy as np

from ...sandbox.harness_plan import IMAGE_PIXELS, IMAGE_SHAPE, NUM_CLASSES
from ..data import sha256_of

HERE = Path(__file__).resolve().parent
WEIGHTS_PATH = HERE / "mnist_cnn.weights.h5"
SHA256_PATH = HERE / "mnist_cnn.weights.h5.sha256"

# float32 rounding of a sigmoid can land a hair outside [0, 1]; anything further is a bug.
RANGE_TOLERANCE = 1e-3


class ClassifierIntegrityError(RuntimeError):
    """The weights file is missing, or its sha256 is not the committed one."""


def build_classifier():
    """Return an uncompiled CNN: (N, 28, 28, 1) float32 in [0, 1] -> (N, 10) softmax probs.

    ~122k parameters (~0.5 MB of float32 weights). Call keras.utils.set_random_seed first
    for reproducible initial weights.
    """
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(*IMAGE_SHAPE, 1)),
        layers.Conv2D(32, 3, activation="relu"),   # -> 26x26x32
        layers.MaxPooling2D(),                     # -> 13x13x32
        layers.Conv2D(64, 3, activation="relu"),   # -> 11x11x64
        layers.MaxPooling2D(),                     # -> 5x5x64
        layers.Flatten(),                          # -> 1600
        layers.Dropout(0.3),
        layers.Dense(64, activation="relu"),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ], name="mnist_cnn")


def committed_sha256(sha_path=SHA256_PATH):
    """Return the hex digest recorded next to the committed weights."""
    try:
        text = Path(sha_path).read_text().strip()
    except FileNotFoundError:
        raise ClassifierIntegrityError(
            f"missing {sha_path}; retrain with `python -m autograder.evidence.classifier.train`") from None
    digest = text.split()[0].lower() if text else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ClassifierIntegrityError(f"{sha_path} does not hold a sha256 hex digest: {text!r}")
    return digest


def verified(weights_path=WEIGHTS_PATH, expected_sha256=None):
    """weights_path, once its sha256 is the committed one (or expected_sha256).

    expected_sha256 defaults to the committed digest (mnist_cnn.weights.h5.sha256 next to this
    module) whatever weights_path is, so a copied-and-edited file is refused too.
    Raises ClassifierIntegrityError naming the expected and actual digests on mismatch.
    """
    weights_path = Path(weights_path)
    expected = (expected_sha256 or committed_sha256()).lower()
    if not weights_path.is_file():
        raise ClassifierIntegrityError(f"classifier weights not found: {weights_path}")
    got = sha256_of(weights_path)
    if got != expected:
        raise ClassifierIntegrityError(
            f"classifier weights sha256 mismatch for {weights_path}: expected {expected}, "
            f"got {got}. The file is not the committed one; restore it or retrain with "
            f"`python -m autograder.evidence.classifier.train`.")
    return weights_path


def load_classifier(weights_path=WEIGHTS_PATH, expected_sha256=None):
    """The verified CNN, as NumpyCNN (no TensorFlow). See verified() for the integrity check."""
    return NumpyCNN(verified(weights_path, expected_sha256))


def load_keras_classifier(weights_path=WEIGHTS_PATH, expected_sha256=None):
    """The verified CNN, built by Keras (imports TensorFlow)."""
    model = build_classifier()
    model.load_weights(verified(weights_path, expected_sha256))
    return model


class NumpyCNN:
    """build_classifier()'s network, in inference mode, computed with NumPy from its weights file."""

    LAYERS = ("conv2d", "conv2d_1", "dense", "dense_1")  # the layers with weights, in order

    def __init__(self, weights_path):
        import h5py  # Keras's own dependency, which writes the file

        with h5py.File(weights_path, "r") as f:
            self.weights = [(np.asarray(f[f"layers/{name}/vars/0"], np.float32),
                             np.asarray(f[f"layers/{name}/vars/1"], np.float32)) for name in self.LAYERS]

    @staticmethod
    def conv_relu(x, kernel, bias):
        """A 'valid' 3x3 convolution and ReLU: (N, H, W, C) -> (N, H - 2, W - 2, K)."""
        kh, kw, c, k = kernel.shape
        windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H', W', C, kh, kw)
        columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c)  # kernel's (kh, kw, C) order
        out = columns @ kernel.reshape(-1, k) + bias
        return np.maximum(out, 0.0).reshape(*windows.shape[:3], k)

    @staticmethod
    def max_pool(x):
        """2x2 max pooling, stride 2, odd edges dropped (Keras's 'valid'): (N, H, W, C) -> (N, H // 2, W // 2, C)."""
        n, h, w, c = x.shape
        return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))

    def probs(self, x):
        """Softmax probabilities (N, 10) of (N, 28, 28, 1) images; dropout is off in inference."""
        (k1, b1), (k2, b2), (w3, b3), (w4, b4) = self.weights
        x = self.max_pool(self.conv_relu(x, k1, b1))
        x = self.max_pool(self.conv_relu(x, k2, b2)).reshape(len(x), -1)  # Flatten: (H, W, C) order
        logits = np.maximum(x @ w3 + b3, 0.0) @ w4 + b4
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x, batch_size=512, verbose=0):
        """Keras's Model.predict, for the calls predict_probs makes."""
        return np.concatenate([self.probs(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def to_nhwc(images):
    """Validate images and return them as a float32 (N, 28, 28, 1) array.

    Accepts (N, 1, 28, 28) [the homework's layout], (N, 28, 28, 1), (N, 28, 28) or (N, 784),
    real-valued, finite, within [0, 1] (up to RANGE_TOLERANCE, then clipped).
    Raises ValueError otherwise.
    """
    x = np.asarray(images)
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)
            or x.dtype == np.bool_):
        raise ValueError(f"images must be a real numeric array, got dtype {x.dtype}")
    shape = x.shape
    if x.ndim == 4 and shape[1:] == (1, *IMAGE_SHAPE):
        x = x.transpose(0, 2, 3, 1)
    elif x.ndim == 4 and shape[1:] == (*IMAGE_SHAPE, 1):
        pass
    elif x.ndim == 3 and shape[1:] == IMAGE_SHAPE:
        x = x[..., None]
    elif x.ndim == 2 and shape[1] == IMAGE_PIXELS:
        x = x.reshape(-1, *IMAGE_SHAPE, 1)
    else:
        raise ValueError(
            f"images must have shape (N, 1, 28, 28), (N, 28, 28, 1), (N, 28, 28) or (N, 784); "
            f"got {shape}")
    x = x.astype(np.float32)
    if x.size:
        if not np.isfinite(x).all():
            raise ValueError("images contain NaN or infinite values")
        lo, hi = float(x.min()), float(x.max())
        if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
            raise ValueError(f"images must be in [0, 1] (e.g. not 0-255); got range [{lo:g}, {hi:g}]")
    return np.ascontiguousarray(np.clip(x, 0.0, 1.0))


def predict_probs(model, images, batch_size=256):
    """Return class probabilities, float32 (N, 10), for images in any layout to_nhwc accepts."""
    x = to_nhwc(images)
    if len(x) == 0:
        return np.zeros((0, NUM_CLASSES), np.float32)
    # predict() runs the model (NumpyCNN or Keras's) with dropout off, in batches.
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    return np.asarray(probs, dtype=np.float32)


def predict_labels(model, images, batch_size=256):
    """Return predicted digits, int64 (N,), for images in any layout to_nhwc accepts."""
    return predict_probs(model, images, batch_size).argmax(axis=1).astype(np.int64)
