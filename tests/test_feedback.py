"""Do the items with figures read right as HTML and as text, stay small, and escape what a
student controls? (No model is trained here: the figures are drawn from made-up arrays.)"""
import html
import json
import numpy as np
import pytest

from autograder.results import feedback, figures, results_json
from autograder.results.table import table
from autograder.rubric.test_8_generation import label_independent
from conftest import Markup

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> & \u00e9"
TIERS = [[120.0, 1.0], [130.0, 0.5]]


def noise_figures(rng):
    """Every figure of items 6.1, 7.1 and 8.1, drawn from random noise: the worst case for PNG size."""
    loss = figures.loss_curve("VAE", list(rng.uniform(100, 200, 10)), 150.0, TIERS)
    recon = figures.reconstructions("VAE", rng.random((8, 784)), rng.random((8, 784)), False)
    grid = figures.generation_grid(rng.random((10, 10, 784)), rng.integers(0, 10, (10, 10)), rng.random(10), 0.9)
    return {"6.1": [loss, recon], "7.1": [loss, recon], "8.1": [grid]}


def results_with(outputs):
    return {"score": 0, "tests": [{"name": f"item {n}", "number": n, "score": 0, "max_score": 1, "output": text}
                                  for n, text in outputs.items()]}


def test_html_item_reads_as_text_and_escapes():
    """Does an HTML item give back its exact message as text (the terminal table's last line), with
    the student's markup escaped: shown as text, never parsed as tags?"""
    text = f"ValueError: {HOSTILE}\n\nExpected a test loss below 120, got 130."
    results = results_json.finish(results_with({"6.1": text, "2.1": HOSTILE}), noise_figures(np.random.default_rng(0)))
    item = next(t for t in results["tests"] if t["number"] == "6.1")
    assert item["output_format"] == "html" and feedback.plain_text(item) == text
    assert table(results).splitlines()[3].endswith("Expected a test loss below 120, got 130.")
    markup = Markup(item["output"])
    assert markup.problems() == [] and HOSTILE in "".join(markup.text)
    assert [tag for tag, _ in markup.tags].count("img") == 2
    plain = next(t for t in results["tests"] if t["number"] == "2.1")
    assert "output_format" not in plain and plain["output"] == HOSTILE  # text items stay text


def test_results_with_every_figure_stay_under_1_mb():
    """With every figure drawn from worst-case (random-noise) images and every message at its
    8,000-character cap, are the results under 1 MB and still holding all their figures?"""
    outputs = {n: "x" * 9000 for n in ("1.1", "2.1", "3.1", "4.1", "5.1", "5.2", "6.1", "7.1", "8.1", "9.1")}
    results = results_json.finish(results_with(outputs), noise_figures(np.random.default_rng(1)))
    size = len(json.dumps(results, indent=2))
    assert size < results_json.MAX_RESULTS_BYTES, size
    assert sum(t["output"].count("<img") for t in results["tests"]) == 5


def test_oversized_results_drop_figures_then_shorten():
    """When messages alone nearly fill 1 MB (non-ASCII text, escaped 6x in JSON), are the figures
    left out with a note, and the messages cut, so that results.json still fits?"""
    outputs = {f"{i}.1": "\u2603" * 9000 for i in range(1, 30)}
    outputs["8.1"] = "\u2603" * 9000
    results = results_json.finish(results_with(outputs), {"8.1": noise_figures(np.random.default_rng(2))["8.1"]})
    item = next(t for t in results["tests"] if t["number"] == "8.1")
    assert "<img" not in item["output"] and html.escape(results_json.FIGURES_LEFT_OUT) in item["output"]
    assert len(json.dumps(results, indent=2)) < results_json.MAX_RESULTS_BYTES


def red_pixels(png):
    from io import BytesIO
    from PIL import Image
    rgb = np.asarray(Image.open(BytesIO(png)).convert("RGB")).astype(int)
    return int(((rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).sum())


def test_grid_marks_exactly_the_misclassified():
    """Is a generation the classifier reads as another digit marked in red, and does a grid
    with every generation right, and every accuracy above the bar, have no red at all?"""
    rng = np.random.default_rng(3)
    images, right = rng.random((10, 10, 784)), np.tile(np.arange(10)[:, None], (1, 10))
    all_right = figures.generation_grid(images, right, np.full(10, 0.95), 0.9)
    one_wrong = right.copy()
    one_wrong[3, 4] = 5
    assert red_pixels(all_right.png) == 0
    assert red_pixels(figures.generation_grid(images, one_wrong, np.full(10, 0.95), 0.9).png) > 100
    assert "1 of 100 shown" in figures.generation_grid(images, one_wrong, np.full(10, 0.95), 0.9).alt


@pytest.mark.parametrize("losses", [[float("nan"), 1e300, -1e300, float("inf")], [], [0.14, 0.12]])
def test_loss_curve_survives_wild_values(losses):
    """Does a loss curve draw (a small PNG) from the values a broken or hostile train_vae returns?"""
    figure = figures.loss_curve("VAE", losses, 212.0, TIERS)
    assert figure.png.startswith(b"\x89PNG") and len(figure.png) < 60_000


def test_label_independence_is_recognised():
    """Are generations whose labels are spread alike in every row (a CVAE that ignores its label)
    told apart from a working CVAE's and from a collapsed one that draws one digit per row?"""
    rng = np.random.default_rng(4)
    ignores_label = rng.integers(0, 10, (10, 100))
    works = np.tile(np.arange(10)[:, None], (1, 100))
    assert label_independent(ignores_label)
    assert not label_independent(works)
    assert label_independent(np.full((10, 100), 8))  # every row one digit, the same one
