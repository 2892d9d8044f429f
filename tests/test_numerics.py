"""Do the reference's reparameterize and loss_function compute what the handout defines?
Each is compared with an independent NumPy computation."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from autograder.evidence import elbo
from conftest import ROOT, load_module

vae = load_module(ROOT / "solutions" / "vae.py", "reference_vae")


def test_reparameterize_statistics():
    """Over 200,000 draws, are z's mean and variance mu and exp(logvar), within 5 standard errors?"""
    keras.utils.set_random_seed(1)
    mu = np.float32([-2.0, 0.0, 0.5, 3.0])
    logvar = np.float32([0.0, math.log(9.0), -1.5, 0.7])
    n = 200_000
    z = vae.reparameterize(tf.constant(np.tile(mu, (n, 1))), tf.constant(np.tile(logvar, (n, 1)))).numpy()
    sigma = np.exp(0.5 * logvar)
    assert np.all(np.abs(z.mean(0) - mu) < 5 * sigma / math.sqrt(n))
    assert np.all(np.abs(z.var(0) / np.exp(logvar) - 1) < 5 * math.sqrt(2 / n))


def test_reparameterize_gradients():
    """Are dz/dmu = 1 and dz/dlogvar = 0.5 (z - mu), the reparameterization's exact gradients?"""
    rng = np.random.default_rng(0)
    mu = tf.Variable(rng.normal(size=(16, 5)).astype(np.float32))
    logvar = tf.Variable(rng.uniform(-1, 1, (16, 5)).astype(np.float32))
    with tf.GradientTape() as tape:
        z = vae.reparameterize(mu, logvar)
        total = tf.reduce_sum(z)
    grad_mu, grad_logvar = tape.gradient(total, [mu, logvar])
    np.testing.assert_allclose(grad_mu.numpy(), 1.0)
    np.testing.assert_allclose(grad_logvar.numpy(), 0.5 * (z.numpy() - mu.numpy()), rtol=1e-5, atol=1e-6)


def test_loss_function_matches_numpy():
    """Does loss_function equal the batch mean of (BCE summed over pixels + KL summed over Z)?"""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (6, 1, 28, 28)).astype(np.float32)
    x_hat = rng.uniform(0.01, 0.99, (6, 1, 28, 28)).astype(np.float32)
    mu, logvar = rng.normal(size=(6, 15)).astype(np.float32), rng.uniform(-2, 1, (6, 15)).astype(np.float32)
    p = x_hat.reshape(6, -1).astype(np.float64)
    t = x.reshape(6, -1).astype(np.float64)
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum(1)
    kl = -0.5 * (1 + logvar - mu.astype(np.float64) ** 2 - np.exp(logvar.astype(np.float64))).sum(1)
    expected = (bce + kl).mean()
    got = float(vae.loss_function(*map(tf.constant, (x_hat, x, mu, logvar))))
    assert got == pytest.approx(expected, rel=1e-5)
    assert elbo.negative_elbo(x, x_hat, mu, logvar).mean() == pytest.approx(expected, rel=1e-9)


def test_bce_function_sums_over_pixels_and_batch():
    """Is the given bce_function the sum over pixels and batch, on Keras 3, clipping like Keras?"""
    x = tf.constant([[[[0.0, 1.0], [0.5, 0.25]]]])
    x_hat = tf.constant([[[[0.0, 1.0], [0.5, 0.5]]]])  # 0 and 1 are clipped to 1e-7 and 1 - 1e-7
    got = float(vae.bce_function(x_hat, x))
    assert got == pytest.approx(float(elbo.bce(x.numpy(), x_hat.numpy())[0]), rel=1e-5)
    assert got == pytest.approx(2 * math.log(2), rel=1e-3)


def test_reparametrize_alias():
    """Is the original stencil's spelling, reparametrize, the same function?"""
    assert vae.reparametrize is vae.reparameterize
