"""The rubric, the fourth stage: one test module per section, run with gradescope-utils' JSONTestRunner.

Each test is one rubric item. Its number is set here with @item; its points and visibility
come from config.toml when the runner loads it (configure). The first docstring line is the
name students see; a failure message says what to fix. A name that quotes a setting, e.g.
"the test loss is below {loss_limit}", takes it from the config (name_values), so a course
that edits config.toml sees names that match. Items read one object, the submission's
evidence.Evidence (RubricTest.evidence), and never the sandbox.
"""
import importlib
import inspect
import unittest

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, partial_credit, visibility, weight

from ..evidence import IMAGE_PIXELS, IMAGE_SHAPE, Unavailable

MODULES = [
    "test_1_layout", "test_2_reparameterize", "test_3_loss_function", "test_4_forward",
    "test_5_train_vae", "test_6_7_training", "test_8_generation", "test_9_handin",
    "test_10_conv_vae", "test_11_latent_tools", "test_12_mmd",  # optional parts: each has PART
]
EVIDENCE = None  # the current submission's evidence.Evidence, set by the runner
# The layouts of a batch of N 28 x 28 images that the handout's code accepts (bce_function and
# show_*_images reshape whatever they get), after N.
IMAGE_LAYOUTS = {(1, *IMAGE_SHAPE): "(N, 1, 28, 28)", (*IMAGE_SHAPE, 1): "(N, 28, 28, 1)",
                 IMAGE_SHAPE: "(N, 28, 28)", (IMAGE_PIXELS,): "(N, 784)"}
FIGURE_ITEMS = set()  # items whose output is HTML, with figures (see feedback.item_html)
FIGURES = {}  # item number -> [(figure's name, args)] the rubric asked for; reset by the runner


def item(num, partial=False, figures=False):
    """Mark a test as rubric item `num`; partial=True gives it set_score (partial credit);
    figures=True makes its output HTML, with the figures the test attaches (RubricTest.figure)."""
    def decorate(func):
        if partial:
            func = partial_credit(0)(func)
        func = number(num)(func)
        func.__rubric_item__ = num
        if figures:
            FIGURE_ITEMS.add(num)
        return func
    return decorate


def load_rubric(config, parts=()):
    """The rubric's tests in order, each given its points, visibility and name from the config.

    parts: the optional parts graded; a part's module (its PART) is left out otherwise.
    """
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        if getattr(module, "PART", None) not in (None, *parts):
            continue
        # In the order they are written (the rubric's), not unittest's alphabetical one: the VAE's
        # items are graded before the first CVAE item waits for the CVAE's stage.
        for test in sorted(_flatten(loader.loadTestsFromModule(module)), key=_written_at):
            if hasattr(getattr(type(test), test._testMethodName), "__rubric_item__"):
                configure(test, config)
            suite.addTest(test)
    return suite


def _written_at(test):
    return inspect.unwrap(getattr(type(test), test._testMethodName)).__code__.co_firstlineno


def _flatten(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _flatten(test)
        else:
            yield test


def epochs(count):
    return f"{count} epoch" + ("" if count == 1 else "s")


def name_values(config):
    """What item names quote from the config, by placeholder: {loss_limit} -> "120", ..."""
    thresholds = config.thresholds
    values = {"epochs": epochs(config.training["epochs"]),
              "loss_limit": f"{thresholds['loss_tiers'][0][0]:g}",  # the full-marks tier
              "accuracy": f"{thresholds['accuracy_tiers'][0][0] * 100:g}%"}
    training, limits = config.raw.get("part_training"), config.raw.get("part_thresholds")
    if training and limits:  # required only when a part is on
        values.update(part_epochs=epochs(training["epochs"]), mmd_epochs=epochs(training["mmd_epochs"]),
                      conv_loss_limit=f"{limits['conv_loss_tiers'][0][0]:g}",
                      conditional_accuracy=f"{limits['conditional_accuracy_tiers'][0][0] * 100:g}%")
    return values


def configure(test, config):
    """Give a loaded test its points, visibility (gradescope-utils attributes) and name from the config."""
    func = getattr(type(test), test._testMethodName)
    spec = config.item(func.__rubric_item__)
    weight(spec.points)(func)
    visibility(spec.visibility)(func)
    if hasattr(func, "__score__"):
        del func.__score__  # a partial score left from an earlier run in this process
    # The runner names an item by shortDescription(), the first line of this instance's doc.
    name, newline, rest = (func.__doc__ or "").partition("\n")
    test._testMethodDoc = name.format_map(name_values(config)) + newline + rest


class RubricTest(unittest.TestCase):
    """Helpers shared by the rubric sections: evidence lookup and array validation."""

    longMessage = False

    @property
    def evidence(self):
        """The submission's evidence.Evidence: everything an item scores."""
        return EVIDENCE

    def need(self, get):
        """Call get(); an Unavailable becomes this item's failure message."""
        try:
            return get()
        except Unavailable as why:
            self.fail(str(why))

    def figure(self, name, *args):
        """Show the figure `name` (a drawing function of results/figures.py) of args with this
        item's output. It is drawn after the whole rubric ran, so matplotlib's memory never shares
        a container's limit with a student process still to come."""
        number = getattr(type(self), self._testMethodName).__rubric_item__
        FIGURES.setdefault(number, []).append((name, args))

    def check_step(self, stage, step, context=None):
        """The successful record of `step` in `stage` (an outcome), or fail with its error.

        context, if given, says what the grader was doing: "model.decoder(z) failed".
        """
        try:
            return stage.require(step)
        except Unavailable as why:
            self.fail(f"{context}: {why}" if context else str(why))

    def part_step(self, step):
        """(the successful record of `step` in the optional parts' stage, the inputs the grader gave
        that stage), or fail with the step's error."""
        return self.check_step(self.need(self.evidence.parts), step), self.evidence.stage_inputs("parts")

    def array(self, arrays, key, shape=None, lo=None, hi=None, what=None):
        """arrays[key] as float64, failing with expected-versus-got on shape, NaN/inf or range."""
        what = what or key
        if key not in arrays:
            self.fail(f"{what}: no value was returned")
        value = np.asarray(arrays[key])
        if not np.issubdtype(value.dtype, np.number):
            self.fail(f"{what}: expected numbers, got {value.dtype}")
        value = value.astype(np.float64)
        if shape is not None and tuple(value.shape) != tuple(shape):
            self.fail(f"{what}: expected shape {tuple(shape)}, got {tuple(value.shape)}")
        if not np.all(np.isfinite(value)):
            self.fail(f"{what}: contains NaN or infinite values")
        if lo is not None and value.min() < lo - 1e-6:
            self.fail(f"{what}: expected values >= {lo}, got a minimum of {value.min():.4g}")
        if hi is not None and value.max() > hi + 1e-6:
            self.fail(f"{what}: expected values <= {hi}, got a maximum of {value.max():.4g}")
        return value

    def images(self, arrays, key, n, what, lo=None, hi=None):
        """arrays[key] as n images of H x W in any accepted layout: (values (n, H * W), layout).

        Fails with expected-versus-got on the layout, NaN/inf or range."""
        value = self.array(arrays, key, what=what)
        layout = IMAGE_LAYOUTS.get(tuple(value.shape[1:])) if value.shape[:1] == (n,) else None
        if layout is None:
            self.fail(f"{what}: expected {n} images of {IMAGE_SHAPE[0]} x {IMAGE_SHAPE[1]} = {IMAGE_PIXELS} values, shaped "
                      f"{' or '.join(v.replace('N', str(n)) for v in IMAGE_LAYOUTS.values())}; "
                      f"got shape {tuple(value.shape)}")
        self.array(arrays, key, lo=lo, hi=hi, what=what)
        return value.reshape(n, -1), layout.replace("N", str(n))


def tiered(value, tiers, higher_is_better):
    """The fraction of points `value` earns: the first [limit, fraction] tier it beats, else 0."""
    for limit, fraction in tiers:
        if (value > limit) if higher_is_better else (value < limit):
            return float(fraction)
    return 0.0
