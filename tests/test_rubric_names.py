"""Do the rubric's item names quote the config, so that a course's edits show where students look?

The rubric runs through gradescope-utils' JSONTestRunner, as in grading, but with no submission:
every item errors at once, and only the names it reports are checked. No TensorFlow, no training."""
import io
import json

from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

from autograder.rubric import load_rubric
from autograder.config import load_config

OVERLAY = """
[training]
epochs = 3
[thresholds]
loss_tiers = [[110.0, 1.0], [125.0, 0.5]]
accuracy_tiers = [[0.925, 1.0], [0.8, 0.5]]
[parts]
conv_vae = true
latent_tools = true
mmd = true
[part_training]
epochs = 1
mmd_epochs = 4
[part_thresholds]
conv_loss_tiers = [[180.0, 1.0]]
conditional_accuracy_tiers = [[0.9, 1.0]]
"""


def item_names(config):
    """{item number: the name results.json gives it} for every item of the config's parts."""
    stream = io.StringIO()
    JSONTestRunner(stream=stream, failure_prefix="", stdout_visibility="hidden").run(
        load_rubric(config, config.parts))
    return {t["number"]: t["name"] for t in json.loads(stream.getvalue())["tests"] if t.get("number")}


def test_default_names_quote_the_default_config():
    """With config.toml as shipped, do the training and generation items name 10 epochs, 120 and 90%?"""
    names = item_names(load_config())
    assert names["6.1"] == "VAE: after 10 epochs, the test loss is below 120"
    assert names["7.1"] == "CVAE: after 10 epochs, the test loss is below 120"
    assert names["8.1"] == "CVAE: the classifier recognizes more than 90% of its generated digits"


def test_names_follow_an_edited_config(tmp_path):
    """Does an overlay that changes the tiers and epochs change the names of items 6-8, 10.4, 10.5 and 12.3?"""
    overlay = tmp_path / "course.toml"
    overlay.write_text(OVERLAY)
    names = item_names(load_config(overlay))
    assert names["6.1"] == "VAE: after 3 epochs, the test loss is below 110"
    assert names["7.1"] == "CVAE: after 3 epochs, the test loss is below 110"
    assert names["8.1"] == "CVAE: the classifier recognizes more than 92.5% of its generated digits"
    assert names["10.4"] == "ConvVAE: after 1 epoch, the grader's negative ELBO is below 180"
    assert names["10.5"] == "ConditionalConvVAE: the classifier recognizes more than 90% of the digits it generates"
    assert names["12.3"].startswith("MMDVAE: after 4 epochs,")
    unfilled = {n: name for n, name in names.items() if "{" in name or "}" in name}
    assert not unfilled, unfilled
