"""Does the grader train on exactly the batches the given to_batches makes, with tf.data's autotuning off?"""
import sys

import numpy as np
import tensorflow as tf

from conftest import ROOT, load_module

sys.path.insert(0, str(ROOT / "autograder" / "sandbox"))
import harness_common  # noqa: E402  (a standalone sandbox module)

assignment = load_module(ROOT / "solutions" / "assignment.py", "batches_assignment")


def batches(make):
    """Two epochs of a dataset made by make(images, labels, batch_size), under a fixed seed."""
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300)
    tf.random.set_seed(5)
    dataset = make(images, labels, 32)
    return dataset, [(x.numpy(), y.numpy()) for _ in range(2) for x, y in dataset]


def test_same_batches_in_the_same_order_without_autotuning():
    given, expected = batches(lambda *a: assignment.to_batches(*a, shuffle_buffer=1024))
    graded, got = batches(lambda *a: harness_common.training_batches(assignment, *a))
    assert len(got) == len(expected) == 2 * (300 // 32)  # full batches only, as the given code makes them
    for (x, y), (x_given, y_given) in zip(got, expected):
        assert x.dtype == np.float32 and x.shape == (32, 1, 28, 28)
        np.testing.assert_array_equal(x, x_given)
        np.testing.assert_array_equal(y, y_given)
    assert not np.array_equal(got[0][1], got[len(got) // 2][1])  # each epoch is shuffled anew
    assert given.options().autotune.enabled is not False and graded.options().autotune.enabled is False
