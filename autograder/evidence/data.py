"""Find MNIST on disk and load it as uint8 arrays, without TensorFlow and without a network.

Where the file is looked for, in order: an explicit path, $MNIST_NPZ, then Keras's cache
($KERAS_HOME/datasets/mnist.npz, by default ~/.keras/datasets/mnist.npz), then a download
into that cache when the machine is online.
"""
import hashlib
import os
import shutil
import urllib.request
from pathlib import Path

import numpy as np

MNIST_ENV = "MNIST_NPZ"
# sha256 of the file `keras.datasets.mnist.load_data()` downloads.
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


class MissingDataError(FileNotFoundError):
    """MNIST is not on disk; the message says how to provide it."""


def keras_cache_path():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def download_to_cache(timeout=60):
    """Fetch mnist.npz into Keras's cache, as Keras would, checking its sha256; None if offline."""
    target = keras_cache_path()
    partial = target.with_suffix(".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(MNIST_URL, timeout=timeout) as response, open(partial, "wb") as f:
            shutil.copyfileobj(response, f)
        if sha256_of(partial) != MNIST_SHA256:
            raise OSError("checksum mismatch")
        os.replace(partial, target)
        return target
    except OSError:
        partial.unlink(missing_ok=True)
        return None


def find_mnist(path=None, download=True):
    """Return the path of mnist.npz, or raise MissingDataError that says how to get it.

    With nothing given and nothing cached, MNIST is downloaded into Keras's cache if the
    network allows (like keras.datasets.mnist.load_data(), but without TensorFlow)."""
    candidates = [("given path", path), (f"${MNIST_ENV}", os.environ.get(MNIST_ENV)),
                  ("Keras cache", keras_cache_path())]
    for source, candidate in candidates:
        if not candidate:
            continue
        candidate = Path(candidate).expanduser()
        if candidate.is_file():
            return candidate.resolve()
        if source != "Keras cache":
            raise MissingDataError(f"MNIST file from the {source} does not exist: {candidate}")
    if download and (fetched := download_to_cache()):
        return fetched
    raise MissingDataError(
        f"MNIST not found in Keras's cache ({keras_cache_path()}), no path was given, and it could\n"
        f"not be downloaded. Download {MNIST_URL} on a machine with internet access, then copy it to\n"
        f"{keras_cache_path()} or point the kit at it with ${MNIST_ENV}=/path/to/mnist.npz."
    )


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_mnist_arrays(path=None):
    """Return ((x_train, y_train), (x_test, y_test)) as uint8 arrays, images of shape (N, 28, 28)."""
    with np.load(find_mnist(path)) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
