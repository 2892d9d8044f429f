"""Do the rubric's helpers accept what the handout accepts, and explain what went wrong?

Unit checks on synthetic evidence, no TensorFlow: the image layouts of section 4, and the
diagnosis of a training loss that became NaN."""
import math

import numpy as np
import pytest

from autograder.evidence.training import divergence, optimizer_use
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


def epoch(number, loss, steps, made=(), logvar=(-3.0, 1.0)):
    """An epoch record as the harness writes it: each live optimizer's iterations after the call,
    and the optimizers made during it."""
    return {"epoch": number, "returned": loss, "logvar_range": list(logvar),
            "optimizers": {"steps": {str(o): n for o, n in steps.items()}, "made": [str(o) for o in made]}}


def kept(number, loss=1000.0, **kwargs):
    """An epoch of 10 steps with model.optimizer (serial 1), made before the first."""
    return epoch(number, loss, {1: 10 * number}, **kwargs)


def recreated(number, loss=1000.0, alive=True):
    """An epoch of 10 steps with an optimizer made in this call (freed after it unless alive)."""
    return epoch(number, loss, {number + 1: 10} if alive else {}, made=[number + 1])


@pytest.mark.parametrize("first, second, verdict", [
    (kept(1), kept(2), "kept"),
    (epoch(1, 1.0, {5: 10}, made=[5]), epoch(2, 1.0, {5: 20}), "kept own"),
    (recreated(1), recreated(2), "new each call"),
    (recreated(1, alive=False), recreated(2, alive=False), "new each call"),
    (epoch(1, 1.0, {}), epoch(2, 1.0, {}), "no step"),
])
def test_optimizer_use_reads_the_optimizers_state(first, second, verdict):
    """Is what two calls of train_vae did with optimizers read from their iterations and construction:
    kept (model.optimizer or its own), a new one in each call (alive or freed), or none?"""
    use = optimizer_use(first, second, given=1)
    assert (use.kept, use.own, use.new_each_call, use.stepped) == {
        "kept": (True, False, False, True), "kept own": (True, True, False, True),
        "new each call": (False, False, True, True), "no step": (False, False, False, False)}[verdict]


def test_divergence_names_a_recreated_optimizer():
    """When every epoch used a new optimizer, does the diagnosis say so, with the last finite loss?"""
    epochs = [recreated(1, 1100.0), recreated(2, 1000.0), recreated(3, math.nan)]
    message = divergence(epochs, batches=10, given_optimizer=1)
    assert "became nan in epoch 3" in message and "100.0 per image, in epoch 2" in message
    assert "new optimizer in every call" in message and "Use model.optimizer" in message


def test_divergence_names_an_overflowing_logvar():
    """When logvar grew large before the failure, does the diagnosis point at exp(logvar)?"""
    epochs = [kept(1, logvar=(-2.0, 95.0)), kept(2, math.inf)]
    message = divergence(epochs, batches=10, given_optimizer=1)
    assert "became inf in epoch 2" in message and "logvar reached 95.0" in message and "overflows" in message
    assert "new optimizer" not in message


def test_divergence_without_a_visible_cause_says_what_was_ruled_out():
    """With one optimizer and a tame logvar, does the diagnosis say so and where to look?"""
    message = divergence([kept(1), kept(2, math.nan)], batches=10, given_optimizer=1)
    assert "one optimizer throughout" in message and "[-3.0, 1.0]" in message and "loss_function" in message
