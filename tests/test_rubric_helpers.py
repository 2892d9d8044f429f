"""Do the rubric's helpers accept what the handout accepts, and explain what went wrong?

Unit checks on synthetic evidence, no TensorFlow: the image layouts of section 4, and the
diagnosis of a training loss that became NaN."""
import math

import numpy as np
import pytest

from autograder.evidence.training import divergence
from autograder.rubric import IMAGE_LAYOUTS, RubricTest


class Probe(RubricTest):
    def runTest(self):
        pass


@pytest.mark.parametrize("shape", [(8, 1, 28, 28), (8, 28, 28, 1), (8, 28, 28), (8, 784)])
def test_every_handout_layout_is_accepted(shape):
    """Are 8 images accepted in each layout the handout's code reshapes, and is the layout named?"""
    values, layout = Probe().images({"x_hat": np.full(shape, 0.5, np.float32)}, "x_hat", 8, what="x_hat", lo=0, hi=1)
    assert values.shape == (8, 784) and layout == IMAGE_LAYOUTS[shape[1:]].replace("N", "8")


@pytest.mark.parametrize("shape, value", [((8, 1, 784), 0.5), ((4, 784), 0.5), ((8, 784), 1.5)])
def test_other_shapes_and_ranges_fail_with_what_was_seen(shape, value):
    """Does a wrong layout or range fail, saying what the grader got?"""
    with pytest.raises(AssertionError) as failure:
        Probe().images({"x_hat": np.full(shape, value, np.float32)}, "x_hat", 8, what="x_hat", lo=0, hi=1)
    assert (f"got shape {shape}" if value <= 1 else "maximum of 1.5") in str(failure.value)


def epoch(number, loss, optimizers, logvar=(-3.0, 1.0)):
    return {"epoch": number, "returned": loss, "optimizer_steps": {str(o): 10 for o in optimizers},
            "logvar_range": list(logvar)}


def test_divergence_names_a_recreated_optimizer():
    """When every epoch used a new optimizer, does the diagnosis say so, with the last finite loss?"""
    epochs = [epoch(1, 1100.0, [2]), epoch(2, 1000.0, [3]), epoch(3, math.nan, [4])]
    message = divergence(epochs, batches=10, given_optimizer=1)
    assert "became nan in epoch 3" in message and "100.0 per image, in epoch 2" in message
    assert "new optimizer in every call" in message and "Use model.optimizer" in message


def test_divergence_names_an_overflowing_logvar():
    """When logvar grew large before the failure, does the diagnosis point at exp(logvar)?"""
    epochs = [epoch(1, 1000.0, [1], logvar=(-2.0, 95.0)), epoch(2, math.inf, [1])]
    message = divergence(epochs, batches=10, given_optimizer=1)
    assert "became inf in epoch 2" in message and "logvar reached 95.0" in message and "overflows" in message
    assert "new optimizer" not in message


def test_divergence_without_a_visible_cause_says_what_was_ruled_out():
    """With one optimizer and a tame logvar, does the diagnosis say so and where to look?"""
    message = divergence([epoch(1, 1000.0, [1]), epoch(2, math.nan, [1])], batches=10, given_optimizer=1)
    assert "one optimizer throughout" in message and "[-3.0, 1.0]" in message and "loss_function" in message
