"""Does the reference, trained for the full 10 epochs on the real MNIST, reach a loss below 120?

The full training happens once per session, inside the grading of the reference sample
(conftest.graded_samples): the grader runs the reference's own train_vae with the assignment's
default settings, then measures the loss on the test set.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, item_scores, load_module


def training_output(results, number):
    return next(t["output"] for t in results["tests"] if t.get("number") == number)


@pytest.mark.parametrize("number, kind", [("6.1", "VAE"), ("7.1", "CVAE")])
def test_reference_loss_below_120(reference_results, number, kind):
    """After 10 epochs, are both the grader's test loss and the last training loss below 120?"""
    output = training_output(reference_results, number)
    print(output)
    test_loss = float(output.split("10,000 test images): ")[1].split()[0])
    train_losses = [float(v) for v in output.split("by epoch: ")[1].splitlines()[0].split(", ")]
    assert len(train_losses) == 10
    assert test_loss < 120 and train_losses[-1] < 120
    assert train_losses == sorted(train_losses, reverse=True)  # it learned every epoch
    assert item_scores(reference_results)[number] == 15


def test_grader_trains_with_the_assignment_defaults(config):
    """Does the grader use the batch size, learning rate, epochs and latent size students run with?"""
    assignment = load_module(ROOT / "solutions" / "assignment.py", "defaults_assignment")
    args = assignment.parseArguments([])
    t = config.training
    assert (args.batch_size, args.learning_rate, args.num_epochs, args.latent_size) == \
        (t["batch_size"], t["learning_rate"], t["epochs"], t["latent_size"])
    assert t["train_images"] == 60000


def test_main_trains_reports_and_saves(tmp_path):
    """Does `python assignment.py --mnist small.npz` train, print per-epoch losses, save figures and weights?"""
    from autograder.evidence.data import load_mnist_arrays
    (x, y), (xt, yt) = load_mnist_arrays()
    np.savez(tmp_path / "small.npz", x_train=x[:1024], y_train=y[:1024], x_test=xt[:256], y_test=yt[:256])
    for flag in ([], ["--is_cvae"]):
        proc = subprocess.run([sys.executable, str(ROOT / "solutions" / "assignment.py"), "--num_epochs", "2",
                               "--mnist", str(tmp_path / "small.npz"), *flag], cwd=tmp_path,
                              capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "loss:" in proc.stdout and "Test loss (negative ELBO per image)" in proc.stdout
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == \
        ["cvae_samples.png", "vae_interpolation.png", "vae_samples.png"]
    assert sorted(p.name for p in (tmp_path / "model_ckpts").iterdir()) == ["cvae.weights.h5", "vae.weights.h5"]
    # --load_weights reuses the saved weights: same test loss, no training.
    proc = subprocess.run([sys.executable, str(ROOT / "solutions" / "assignment.py"), "--load_weights", "--is_cvae",
                           "--mnist", str(tmp_path / "small.npz")], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and "Skipping variable loading" not in proc.stderr, proc.stderr[-2000:]


def test_main_returns_metrics(tmp_path, monkeypatch):
    """Does main(args) return the per-epoch losses, test loss, timings and device?"""
    from autograder.evidence.data import load_mnist_arrays
    (x, y), (xt, yt) = load_mnist_arrays()
    np.savez(tmp_path / "tiny.npz", x_train=x[:512], y_train=y[:512], x_test=xt[:128], y_test=yt[:128])
    monkeypatch.chdir(tmp_path)
    assignment = load_module(ROOT / "solutions" / "assignment.py", "metrics_assignment")
    metrics = assignment.main(assignment.parseArguments(["--num_epochs", "2", "--mnist", str(tmp_path / "tiny.npz")]))
    assert metrics["model"] == "vae" and len(metrics["epoch_losses"]) == 2 and len(metrics["epoch_seconds"]) == 2
    assert metrics["epoch_losses"][1] < metrics["epoch_losses"][0] and np.isfinite(metrics["test_loss"])
    assert metrics["device"] == "CPU" or metrics["device"].startswith("GPU")
    json.dumps(metrics)  # plain numbers, ready for a report
