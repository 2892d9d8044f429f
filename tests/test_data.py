"""Does the kit find MNIST where users put it, fetch it only when it must, and explain a miss?"""
import hashlib
import io

import pytest

from autograder.evidence import data


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """A Keras home with no datasets in it, and no $MNIST_NPZ."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    return tmp_path / "keras" / "datasets" / "mnist.npz"


def serve(monkeypatch, payload):
    """Make the download return `payload`, or raise it if it is an exception."""
    def urlopen(url, timeout):
        assert url == data.MNIST_URL
        if isinstance(payload, Exception):
            raise payload
        return io.BytesIO(payload)
    monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)


def test_explicit_path_and_env_var_come_first(tmp_path, empty_cache, monkeypatch):
    given, env = tmp_path / "given.npz", tmp_path / "env.npz"
    given.write_bytes(b"x")
    env.write_bytes(b"x")
    monkeypatch.setenv(data.MNIST_ENV, str(env))
    assert data.find_mnist(given) == given.resolve()
    assert data.find_mnist() == env.resolve()


def test_a_missing_given_file_is_named(tmp_path, empty_cache):
    with pytest.raises(data.MissingDataError, match="given path does not exist: .*nowhere.npz"):
        data.find_mnist(tmp_path / "nowhere.npz")


def test_offline_miss_says_where_to_put_the_file(empty_cache, monkeypatch):
    serve(monkeypatch, OSError("no network"))
    with pytest.raises(data.MissingDataError) as err:
        data.find_mnist()
    assert str(empty_cache) in str(err.value) and "$MNIST_NPZ" in str(err.value)


def test_download_is_checked_against_the_keras_checksum(empty_cache, monkeypatch):
    serve(monkeypatch, b"not mnist")
    with pytest.raises(data.MissingDataError):
        data.find_mnist()
    assert not list(empty_cache.parent.glob("*")), "a corrupt download must not be left in the cache"


def test_verified_download_lands_in_the_keras_cache(empty_cache, monkeypatch):
    payload = b"pretend mnist"
    monkeypatch.setattr(data, "MNIST_SHA256", hashlib.sha256(payload).hexdigest())
    serve(monkeypatch, payload)
    assert data.find_mnist() == empty_cache
    assert empty_cache.read_bytes() == payload
