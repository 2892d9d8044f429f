"""Do the optional parts' reference solutions (solutions/conv_vae.py, latent_tools.py, mmd.py)
build the specified models, compute the right numbers, and make a clean student stencil?"""
import gzip
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from scipy import stats  # noqa: E402

from autograder.evidence import mmd_formula  # noqa: E402
from autograder.intake.signatures import signatures  # noqa: E402
from conftest import ROOT, load_module, run_module  # noqa: E402

SOLUTIONS = ROOT / "solutions"
PART_FILES = ("conv_vae.py", "latent_tools.py", "mmd.py")
PART_MODULES = tuple(name[:-3] for name in PART_FILES)


def load_parts():
    """The three solution modules, importing each other from solutions/ (never a cached stencil copy)."""
    saved = {name: sys.modules.pop(name) for name in PART_MODULES if name in sys.modules}
    try:
        mmd = load_module(SOLUTIONS / "mmd.py", "parts_mmd")
        modules = (mmd.conv_vae, mmd.latent_tools, mmd)
    finally:
        for name in PART_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    for module, file in zip(modules, PART_FILES):
        assert module.__file__ == str(SOLUTIONS / file), module.__file__
    return modules


cv, lt, mmd = load_parts()

ENCODER_TABLE = [  # (layer class, output shape, params), from the architecture table
    ("InputLayer", (None, 28, 28, 1), 0),
    ("Conv2D", (None, 14, 14, 32), 320),
    ("Conv2D", (None, 7, 7, 64), 18_496),
    ("Flatten", (None, 3136), 0),
    ("Dense", (None, 14), 43_918),
    ("Dense", (None, 2), 30),  # z_mean
    ("Dense", (None, 2), 30),  # z_log_var
    ("Sampling", (None, 2), 0),
]
DECODER_TABLE = [
    ("InputLayer", (None, 2), 0),
    ("Dense", (None, 3136), 9_408),
    ("Reshape", (None, 7, 7, 64), 0),
    ("Conv2DTranspose", (None, 14, 14, 64), 36_928),
    ("Conv2DTranspose", (None, 28, 28, 32), 18_464),
    ("Conv2DTranspose", (None, 28, 28, 1), 289),
]


def layer_rows(model):
    return [(type(layer).__name__, tuple(layer.output.shape), layer.count_params()) for layer in model.layers]


def random_images(n, shape=(28, 28, 1), seed=0):
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)  # (N, H, W, K) in [0, 1)


def one_hot(labels, classes=10):
    return tf.one_hot(np.asarray(labels), classes)


# ----------------------------------------------------------------------------------------------
# Part 2: conv_vae.py
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["leaky_relu", "relu"])
def test_encoder_matches_architecture_table(activation):
    """Does the MNIST encoder have the table's layers, output shapes and 62,794 parameters?"""
    encoder = cv.ConvVAE(hidden_activation=activation).encoder
    assert layer_rows(encoder) == ENCODER_TABLE
    assert encoder.count_params() == 62_794
    assert encoder.get_layer("z_mean") and encoder.get_layer("z_log_var")
    assert encoder.layers[4].activation.__name__ == activation


def test_decoder_matches_architecture_table():
    """Does the MNIST decoder have the table's layers, output shapes and 65,089 parameters?"""
    decoder = cv.ConvVAE().decoder
    assert layer_rows(decoder) == DECODER_TABLE
    assert decoder.count_params() == 65_089
    assert decoder.layers[-1].activation.__name__ == "sigmoid"


def test_encoder_returns_mean_logvar_and_sample():
    """Does the encoder return (z_mean, z_log_var, z), each (N, Z), with z drawn around z_mean?"""
    model = cv.ConvVAE()
    z_mean, z_log_var, z = model.encode(random_images(5))
    assert [tuple(t.shape) for t in (z_mean, z_log_var, z)] == [(5, 2)] * 3
    assert not np.allclose(z, z_mean), "z should be sampled, not equal to z_mean"
    assert tuple(model(random_images(5)).shape) == (5, 28, 28, 1)


def test_sampling_statistics_and_gradients():
    """Does Sampling draw z with mean z_mean and variance exp(z_log_var), within 3%, and pass gradients?"""
    keras.utils.set_random_seed(0)
    layer = cv.Sampling()
    z_mean = tf.Variable(tf.fill((200_000, 2), 2.0))
    z_log_var = tf.Variable(tf.fill((200_000, 2), math.log(4.0)))  # standard deviation 2
    with tf.GradientTape() as tape:
        z = layer([z_mean, z_log_var])
        total = tf.reduce_sum(z)
    z = z.numpy()
    assert np.allclose(z.mean(axis=0), 2.0, atol=0.03) and np.allclose(z.var(axis=0), 4.0, rtol=0.03)
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 0.01, "the two dimensions should be independent"
    grad_mean, grad_log_var = tape.gradient(total, [z_mean, z_log_var])
    np.testing.assert_allclose(grad_mean.numpy(), 1.0)
    assert grad_log_var is not None
    assert not np.allclose(layer([z_mean[:4], z_log_var[:4]]), layer([z_mean[:4], z_log_var[:4]])), "draws must differ"


def test_vae_loss_known_value():
    """Does vae_loss sum the BCE over pixels and the KL over Z, then average over the batch?

    x = x_hat = 0.5: BCE is 784 ln 2 per image. Image 0: z_mean = 1, z_log_var = 0 on Z = 3
    dimensions, KL = 1.5. Image 1: z_mean = 0, z_log_var = ln 2, KL = 1.5 (1 - ln 2).
    """
    x = tf.fill((2, 28, 28, 1), 0.5)
    z_mean = tf.constant([[1.0] * 3, [0.0] * 3])
    z_log_var = tf.constant([[0.0] * 3, [math.log(2.0)] * 3])
    total, reconstruction, kl = cv.vae_loss(x, x, z_mean, z_log_var)
    assert float(reconstruction) == pytest.approx(784 * math.log(2), rel=1e-4)
    assert float(kl) == pytest.approx((1.5 + 1.5 * (1 - math.log(2))) / 2, rel=1e-4)
    assert float(total) == pytest.approx(float(reconstruction) + float(kl), rel=1e-6)


def test_fit_trains_every_weight_and_reports_trackers():
    """Does model.fit take steps on every weight and report total = reconstruction + kl?"""
    keras.utils.set_random_seed(0)
    model = cv.ConvVAE()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x, y = random_images(32), one_hot(np.arange(32) % 10)
    model(x[:1])  # create the weights
    before = [w.numpy().copy() for w in model.trainable_weights]
    logs = model.fit(x, y, batch_size=16, epochs=1, verbose=0).history
    assert {"total_loss", "reconstruction_loss", "kl_loss"} <= set(logs)
    assert logs["total_loss"][0] == pytest.approx(logs["reconstruction_loss"][0] + logs["kl_loss"][0], rel=1e-5)
    assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    assert model.fit(x, batch_size=16, epochs=1, verbose=0).history["total_loss"], "labels are optional"
    results = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(results) == {"total_loss", "reconstruction_loss", "kl_loss"}


def test_conditional_model_uses_the_label():
    """Do the conditional encoder and decoder take the label, and does the label change the image?"""
    keras.utils.set_random_seed(0)
    model = cv.ConditionalConvVAE()
    assert [tuple(t.shape) for t in model.encoder.inputs] == [(None, 28, 28, 1), (None, 10)]
    assert [tuple(t.shape) for t in model.decoder.inputs] == [(None, 2), (None, 10)]
    x, c = random_images(4), one_hot([0, 1, 2, 3])
    assert [tuple(t.shape) for t in model.encode(x, c)] == [(4, 2)] * 3
    images = model.decoder([tf.zeros((2, 2)), one_hot([3, 7])]).numpy()  # documented generation call
    assert images.shape == (2, 28, 28, 1) and not np.allclose(images[0], images[1])
    codes = model.encoder([tf.repeat(x[:1], 2, axis=0), one_hot([3, 7])])[0].numpy()
    assert not np.allclose(codes[0], codes[1]), "the encoder should see the label too"
    with pytest.raises(ValueError, match="one-hot labels"):
        model.encode(x)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    logs = model.fit(random_images(16), one_hot(np.arange(16) % 10), batch_size=8, verbose=0).history
    assert math.isfinite(logs["total_loss"][0])


@pytest.mark.parametrize("conditional", [False, True], ids=["ConvVAE", "ConditionalConvVAE"])
def test_cifar_shaped_images_run_through_the_conv_models(conditional):
    """Do 32x32x3 images go through encoder, decoder and one fit step, with shapes derived from the input?"""
    keras.utils.set_random_seed(0)
    shape = (32, 32, 3)
    model_class = cv.ConditionalConvVAE if conditional else cv.ConvVAE
    model = model_class(shape, latent_dim=8, hidden_dim=32)
    x, y = random_images(64, shape), one_hot(np.arange(64) % 10)
    assert tuple(model.encoder.get_layer("z_mean").output.shape) == (None, 8)
    assert [tuple(layer.output.shape) for layer in model.decoder.layers if "conv2d" in layer.name] == [
        (None, 16, 16, 64), (None, 32, 32, 32), (None, 32, 32, 3)]
    assert tuple(model(x[:2], y[:2]).shape) == (2, *shape)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    logs = model.fit(x, y, batch_size=64, epochs=1, verbose=0).history
    assert math.isfinite(logs["total_loss"][0]) and logs["total_loss"][0] > 0


def test_bad_image_shape_is_explained():
    """Does an image size that two stride-2 convolutions cannot halve twice give a clear error?"""
    with pytest.raises(ValueError, match="divisible by 4"):
        cv.ConvVAE((30, 30, 1))


def test_idx_folder_loads_like_fashion_mnist(tmp_path):
    """Does --data accept a folder of gzipped IDX files (Debian's /usr/share/datasets/fashion-mnist layout)?"""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": np.arange(6, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": np.arange(4, dtype=np.uint8)}
    for stem, array in arrays.items():
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        with gzip.open(tmp_path / f"{stem}.gz", "wb") as f:
            f.write(header + array.tobytes())
    (x_train, y_train), (x_test, y_test) = cv.load_dataset("fashion_mnist", str(tmp_path))
    assert x_train.shape == (6, 28, 28, 1) and x_test.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(x_train[..., 0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, np.arange(4))


def test_cifar10_only_through_the_keras_loader():
    """Does --data refuse CIFAR-10, which the handout loads only with keras.datasets.cifar10?"""
    with pytest.raises(SystemExit, match="keras.datasets.cifar10"):
        cv.load_dataset("cifar10", "/some/local/copy")


def test_figures_are_written(tmp_path, monkeypatch):
    """Do the given plotting helpers write the scatter, latent grid and class grid PNGs?"""
    monkeypatch.chdir(tmp_path)
    images = (random_images(50) * 255).astype(np.uint8)
    labels = np.arange(50) % 10
    model, conditional = cv.ConvVAE(), cv.ConditionalConvVAE()
    paths = [cv.plot_latent_scatter(model, images, labels, "scatter.png"),
             cv.plot_latent_grid(model, "grid.png", n=4, x_range=(-1, 1), y_range=(-1, 1)),
             cv.plot_latent_scatter(conditional, images, labels, "cond_scatter.png"),
             cv.plot_class_grid(conditional, "class_grid.png", samples=3)]
    for path in paths:
        assert (tmp_path / path).stat().st_size > 1000, path


# ----------------------------------------------------------------------------------------------
# Part 3: latent_tools.py
# ----------------------------------------------------------------------------------------------

def test_log_normal_pdf_matches_scipy():
    """Is log_normal_pdf the sum over dimensions of scipy.stats.norm.logpdf, within 1e-4?"""
    rng = np.random.default_rng(0)
    sample, mean = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    logvar = rng.uniform(-3.0, 2.0, size=(6, 3))
    expected = stats.norm.logpdf(sample, loc=mean, scale=np.exp(0.5 * logvar)).sum(axis=1)
    got = lt.log_normal_pdf(sample.astype(np.float32), mean.astype(np.float32), logvar.astype(np.float32))
    assert tuple(got.shape) == (6,)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-4)
    standard = lt.log_normal_pdf(tf.constant(sample, tf.float32), 0.0, 0.0).numpy()  # broadcast scalars
    np.testing.assert_allclose(standard, stats.norm.logpdf(sample).sum(axis=1), rtol=1e-4, atol=1e-4)


class FixedPosterior:
    """A stand-in model with a known posterior q(z | x) = N(MEAN, exp(LOGVAR)) and a small decoder."""
    MEAN, LOGVAR = [0.8, -0.5], [-1.0, 0.5]  # KL(q || N(0, I)) = 0.7033

    def __init__(self):
        self.sampling = cv.Sampling(seed=1)
        self.weights = tf.constant(np.random.default_rng(0).normal(size=(2, 16)), tf.float32)  # (Z, H * W)

    def encode(self, x, c=None):
        n = tf.shape(x)[0]
        z_mean = tf.broadcast_to(tf.constant([self.MEAN]), (n, 2))
        z_log_var = tf.broadcast_to(tf.constant([self.LOGVAR]), (n, 2))
        return z_mean, z_log_var, self.sampling([z_mean, z_log_var])

    def decode(self, z, c=None):
        return tf.reshape(tf.sigmoid(z @ self.weights), (-1, 4, 4, 1))  # (N, 4, 4, 1)


def test_monte_carlo_elbo_agrees_with_analytic_kl_loss():
    """Is E[compute_loss] the analytic-KL loss (vae_loss), within 4 standard errors over 40,000 draws?"""
    keras.utils.set_random_seed(0)
    model = FixedPosterior()
    x = tf.cast(tf.random.uniform((8, 4, 4, 1)) > 0.5, tf.float32)
    batch = tf.tile(x, (500, 1, 1, 1))  # 4,000 rows: each call averages 4,000 independent draws
    monte_carlo, analytic = [], []
    for _ in range(10):
        monte_carlo.append(float(lt.compute_loss(model, batch)))
        z_mean, z_log_var, z = model.encode(batch)
        analytic.append(float(cv.vae_loss(batch, model.decode(z), z_mean, z_log_var)[0]))
    difference = np.mean(monte_carlo) - np.mean(analytic)
    standard_error = math.sqrt(np.var(monte_carlo, ddof=1) / 10 + np.var(analytic, ddof=1) / 10)
    assert abs(difference) < 4 * standard_error + 1e-3, (
        f"Monte-Carlo {np.mean(monte_carlo):.4f} vs analytic {np.mean(analytic):.4f}, se {standard_error:.4f}")
    kl = float(cv.vae_loss(batch, model.decode(z), z_mean, z_log_var)[2])
    assert kl == pytest.approx(0.7033, abs=1e-3) and standard_error < 0.1 * kl, "the test must be able to see the KL"


def test_compute_loss_on_conv_vae_is_a_finite_scalar():
    """Does compute_loss work on a ConvVAE and give a scalar near vae_loss's total?"""
    keras.utils.set_random_seed(0)
    model, x = cv.ConvVAE(), random_images(8)
    loss = lt.compute_loss(model, x)
    assert np.ndim(loss) == 0 and math.isfinite(float(loss))
    assert float(loss) == pytest.approx(float(model.loss_terms(x)["total_loss"]), rel=0.01)


def test_class_encodings_shapes_and_means():
    """Does get_allClass_encodings return (C, Z) class means of the (N, Z) z_mean encodings?"""
    model = cv.ConvVAE()
    images, labels = random_images(30), np.arange(30) % 10
    class_means, encodings = lt.get_allClass_encodings(model, images, labels, batch_size=7)
    assert class_means.shape == (10, 2) and encodings.shape == (30, 2)
    np.testing.assert_allclose(encodings, model.encode(images)[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(class_means[3], encodings[labels == 3].mean(axis=0), rtol=1e-5)
    conditional_means, _ = lt.get_allClass_encodings(cv.ConditionalConvVAE(), images, labels)
    assert conditional_means.shape == (10, 2)


def test_walk_starts_and_ends_at_the_class_means():
    """Does walk_src_to_dst decode S evenly spaced latents from the source mean to the destination mean?"""
    model = cv.ConvVAE()
    class_means = np.random.default_rng(0).normal(size=(10, 2)).astype(np.float32)
    images, latents = lt.walk_src_to_dst(model, 1, 7, class_means, steps=6)
    assert images.shape == (6, 28, 28, 1) and latents.shape == (6, 2)
    np.testing.assert_array_equal(latents[0], class_means[1])
    np.testing.assert_array_equal(latents[-1], class_means[7])
    np.testing.assert_allclose(np.diff(latents, axis=0), np.tile((class_means[7] - class_means[1]) / 5, (5, 1)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(images[0], model.decode(class_means[1:2]).numpy()[0], atol=1e-6)


def test_pca_basis_finds_the_widest_direction():
    """Does pca_basis return the centre and orthonormal top-2 directions of a point cloud?"""
    rng = np.random.default_rng(0)
    points = rng.normal(size=(2000, 4)) * [5.0, 0.1, 2.0, 0.1] + 3.0
    center, components = lt.pca_basis(points)
    assert components.shape == (4, 2)
    np.testing.assert_allclose(center, points.mean(axis=0))
    np.testing.assert_allclose(components.T @ components, np.eye(2), atol=1e-8)
    np.testing.assert_allclose(np.abs(components[:, 0]), [1, 0, 0, 0], atol=0.02)
    np.testing.assert_allclose(np.abs(components[:, 1]), [0, 0, 1, 0], atol=0.02)


def test_training_loop_reports_and_saves_reconstructions(tmp_path, monkeypatch, capsys):
    """Does train() print each epoch's time and test ELBO and save a reconstruction per epoch?"""
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
    model = cv.ConvVAE()
    data = tf.data.Dataset.from_tensor_slices((random_images(32), one_hot(np.arange(32) % 10))).batch(16)
    history = lt.train(model, data, data, epochs=2, folder=str(tmp_path / "outputs"))
    assert len(history["test_elbo"]) == len(history["seconds"]) == 2
    assert all(e < 0 and math.isfinite(e) for e in history["test_elbo"])
    printed = capsys.readouterr().out
    assert "Epoch 2:" in printed and "test set ELBO" in printed and " s" in printed
    assert sorted(os.listdir(tmp_path / "outputs")) == ["reconstruction_epoch_001.png", "reconstruction_epoch_002.png"]
    scatter = lt.plot_latent_space(np.random.default_rng(0).normal(size=(40, 5)), np.arange(40) % 10,
                                   "pca.png", class_means=np.zeros((10, 5)))
    assert os.path.isfile(scatter)


def test_architecture_text_fallback(tmp_path, monkeypatch):
    """Without pydot and Graphviz, does plot_model_architecture write a text diagram with the shapes?"""
    monkeypatch.setattr(lt.shutil, "which", lambda name: None)
    path = lt.plot_model_architecture(cv.ConvVAE().encoder, str(tmp_path / "encoder.png"))
    assert path.endswith("encoder.txt")
    text = open(path, encoding="utf-8").read()
    assert "62,794 parameters" in text and "(None, 14, 14, 32)" in text
    assert "<- z_mean, z_log_var" in text  # the Sampling layer's two inputs


# ----------------------------------------------------------------------------------------------
# Part 4: mmd.py
# ----------------------------------------------------------------------------------------------

def test_kernel_shape_and_values():
    """Is compute_kernel the (N, M) matrix exp(-||x_i - y_j||^2 / Z), with ones on equal points?"""
    x = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0]], np.float32)
    y = np.array([[0.0, 0.0], [1.0, 0.0]], np.float32)
    kernel = mmd.compute_kernel(x, y).numpy()
    assert kernel.shape == (3, 2)
    squared = ((x[:, None] - y[None]) ** 2).sum(-1)
    np.testing.assert_allclose(kernel, np.exp(-squared / 2), rtol=1e-6)


def test_mmd_is_small_for_one_distribution_and_large_for_shifted_ones():
    """Is MMD near 0 for two N(0, I) samples, clearly larger after a shift, and symmetric?"""
    rng = np.random.default_rng(0)
    x, y = (rng.normal(size=(1000, 2)).astype(np.float32) for _ in range(2))
    same = float(mmd.compute_mmd(x, y))
    shifted = float(mmd.compute_mmd(x, y + 1.0))
    assert 0.0 <= same < 0.01, same
    assert shifted > 0.1 and shifted > 20 * same, (same, shifted)
    assert float(mmd.compute_mmd(y + 1.0, x)) == pytest.approx(shifted, rel=1e-5)
    assert float(mmd.compute_mmd(x, x)) == pytest.approx(0.0, abs=1e-6)
    assert float(mmd.compute_mmd(x, y * 2.0)) > 5 * same, "a change of scale alone must show too"


def test_grader_mmd_is_the_handouts():
    """Do the grader's NumPy kernel and MMD (mmd_formula.py, for items 12.x and the calibration)
    compute what the reference's compute_kernel and compute_mmd compute?"""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(300, 3)).astype(np.float32), rng.normal(0.5, 1.0, size=(200, 3)).astype(np.float32)
    np.testing.assert_allclose(mmd_formula.kernel(x, y), mmd.compute_kernel(x, y).numpy(), rtol=1e-5)
    assert mmd_formula.mmd(x, y) == pytest.approx(float(mmd.compute_mmd(x, y)), rel=1e-4)


def test_mmd_vae_loss_and_one_fit_step():
    """Is the MMD-VAE loss reconstruction + weight * MMD, and does MMDVAE.fit report its three terms?"""
    x = tf.fill((2, 28, 28, 1), 0.5)
    z, prior = tf.constant([[0.0, 0.0], [1.0, 1.0]]), tf.constant([[0.5, 0.0], [0.0, -1.0]])
    total, reconstruction, penalty = mmd.mmd_vae_loss(x, x, z, prior, 10.0)
    assert float(reconstruction) == pytest.approx(784 * math.log(2), rel=1e-4)
    assert float(penalty) == pytest.approx(float(mmd.compute_mmd(z, prior)), rel=1e-6)
    assert float(total) == pytest.approx(float(reconstruction) + 10.0 * float(penalty), rel=1e-6)
    keras.utils.set_random_seed(0)
    model = mmd.MMDVAE(mmd_weight=10.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    logs = model.fit(random_images(32), one_hot(np.arange(32) % 10), batch_size=16, verbose=0).history
    assert {"total_loss", "reconstruction_loss", "mmd_loss"} <= set(logs) and "kl_loss" not in logs
    assert logs["mmd_loss"][0] >= 0


# ----------------------------------------------------------------------------------------------
# The student stencil of these files
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stencil_dir(tmp_path_factory):
    """`python -m stencil build` run on a copy of only the three part files."""
    src = tmp_path_factory.mktemp("parts_src")
    dest = tmp_path_factory.mktemp("parts_stencil")
    for name in PART_FILES:
        shutil.copy(SOLUTIONS / name, src / name)
    proc = run_module("stencil", "build", "--src", src, "--dest", dest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


def test_stencil_replaces_every_solution_and_keeps_signatures(stencil_dir):
    """Does each part file's stencil keep its banners and signatures, with each TODO a raise?"""
    for name in PART_FILES:
        reference = (SOLUTIONS / name).read_text()
        text = (stencil_dir / name).read_text()
        opened = [line.split("(")[1].split(")")[0] for line in text.splitlines() if "# TODO (" in line]
        closed = [line.split("(")[1].split(")")[0] for line in text.splitlines() if "# END TODO (" in line]
        prefix = {"conv_vae.py": "P2.", "latent_tools.py": "P3.", "mmd.py": "P4."}[name]
        assert opened and opened == closed and all(n.startswith(prefix) for n in opened), (name, opened)
        for number in opened:
            assert f'raise NotImplementedError("TODO {number}")' in text
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert signatures(text) == signatures(reference)


def test_stencil_imports_and_fails_loudly(stencil_dir):
    """Do the stencil modules import, and does each entry point stop at its first TODO?"""
    script = (
        "import numpy as np, conv_vae, latent_tools, mmd\n"
        "checks = [(lambda: conv_vae.ConvVAE(), 'TODO P2.2'),\n"
        "          (lambda: conv_vae.vae_loss(None, None, None, None), 'TODO P2.4'),\n"
        "          (lambda: latent_tools.log_normal_pdf(0., 0., 0.), 'TODO P3.1'),\n"
        "          (lambda: latent_tools.pca_basis(np.zeros((3, 2))), 'TODO P3.6'),\n"
        "          (lambda: mmd.compute_kernel(np.zeros((2, 2)), np.zeros((2, 2))), 'TODO P4.1')]\n"
        "for call, todo in checks:\n"
        "    try:\n"
        "        call()\n"
        "    except NotImplementedError as e:\n"
        "        assert str(e) == todo, (str(e), todo)\n"
        "    else:\n"
        "        raise AssertionError(todo + ' did not raise')\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=stencil_dir, capture_output=True, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stdout[-2000:] + proc.stderr[-2000:]
