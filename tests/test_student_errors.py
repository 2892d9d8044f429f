"""Does a student's error read as a message: the cause and the change in one line first, then only their own frames?

harness_errors.describe turns the exceptions of student code into the text the items show.
"""
import sys

import keras
import pytest
import tensorflow as tf

from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder" / "sandbox"))
from harness_errors import describe  # noqa: E402  (a standalone sandbox module)

STUDENT = {"assignment.py", "vae.py", "helpers.py"}


def error_of(func):
    try:
        func()
    except Exception as err:  # noqa: BLE001 - whatever student code raises
        return err
    raise AssertionError("no error")


def variables_on_a_later_call():
    """A tf.function that makes a new Adam in each trace, as a train_vae that makes one per epoch does."""
    v = tf.Variable(1.0)

    @tf.function
    def step(epoch):
        keras.optimizers.Adam(1e-3).apply_gradients([(tf.constant(1.0), v)])
    step(1)
    step(2)  # a new Python value: a second trace, which must not create variables


@pytest.mark.parametrize("raise_it, first_line", [
    (variables_on_a_later_call, "A tf.function of yours creates variables after its first call"),
    (lambda: __import__("torch_not_installed_here"), "Your code imports torch_not_installed_here, which the grader"),
    (lambda: keras.optimizers.Adam(momentum=0.9), "Keras 3 does not take the argument(s) {'momentum': 0.9}"),
    (lambda: keras.optimizers.Adam(1e-3).get_updates, "get_updates is not in Keras 3 or TensorFlow"),
    (lambda: keras.Model().fit_generator, "fit_generator is not in Keras 3 or TensorFlow"),
])
def test_failures_the_grader_cannot_remove_say_what_to_change_first(raise_it, first_line):
    """Does each known cause come first, in one line, with the error after it?"""
    err = error_of(raise_it)
    message = describe(err, STUDENT)
    assert message.splitlines()[0].startswith(first_line), message
    assert type(err).__name__ in message


def test_a_students_own_mistake_gets_no_invented_cause():
    """Does an attribute missing from the student's own class (a typo) get no Keras hint?"""
    class VAE(keras.Model):
        pass
    message = describe(error_of(lambda: VAE().decodr), STUDENT)
    assert message.startswith("AttributeError: 'VAE' object has no attribute 'decodr'")


def test_tensorflow_frames_are_trimmed_from_messages():
    """Are the TensorFlow and Keras frames that tf.function lists inside its message left out, and
    the student's own kept?"""
    message = ('in user code:\n\n    File "/sandbox/code/assignment.py", line 12, in train_step  *\n'
               '        optimizer.apply_gradients(zip(grads, variables))\n'
               '    File "/venv/lib/python3.11/site-packages/keras/src/optimizers/base_optimizer.py", line 383, '
               'in apply_gradients  **\n        self.apply(grads, trainable_variables)\n\n'
               '    ValueError: something went wrong')
    text = describe(ValueError(message), STUDENT)
    assert "assignment.py" in text and "site-packages" not in text and "self.apply(" not in text
    assert text.rstrip().endswith("ValueError: something went wrong")
