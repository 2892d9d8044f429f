"""Section 8: the trained CVAE generates the digits it is asked for, as judged by a
pretrained MNIST classifier (99% accurate on real digits)."""
import numpy as np

from gradescope_utils.autograder_utils.decorators import leaderboard

from ..evidence import NUM_CLASSES
from . import RubricTest, item, tiered

SHOWN_PER_DIGIT = 10  # generations the feedback's grid shows per digit


class TestGeneration(RubricTest):
    @item("8.1", partial=True, figures=True)
    def test_generation_accuracy(self, set_score=None):
        """CVAE: the classifier recognizes more than {accuracy} of its generated digits"""
        e = self.evidence
        per_digit = int(e.config.thresholds["generations_per_digit"])
        predicted = self.need(e.classification)
        asked = np.repeat(np.arange(NUM_CLASSES), per_digit)
        accuracy = float((predicted == asked).mean())
        tiers = e.config.thresholds["accuracy_tiers"]
        fraction = tiered(accuracy, tiers, higher_is_better=True)
        set_score(fraction * type(self).test_generation_accuracy.__weight__)
        digit_accuracy = np.array([np.mean(predicted[asked == d] == d) for d in range(NUM_CLASSES)])
        by_digit = ", ".join(f"{d}: {value:.0%}" for d, value in enumerate(digit_accuracy))
        shown = min(per_digit, SHOWN_PER_DIGIT)  # the first generations of each digit
        self.figure("generation_grid", e.generations().reshape(NUM_CLASSES, per_digit, -1)[:, :shown],
                    predicted.reshape(NUM_CLASSES, per_digit)[:, :shown], digit_accuracy, tiers[0][0])
        print(f"{per_digit} generations per digit from z ~ N(0, I) (fixed seed), decoded with "
              f"model.decoder(concat(z, one_hot(digit))).\nClassifier accuracy: {accuracy:.1%} "
              f"(per digit: {by_digit}).")
        spread = e.generation_spread()
        if spread < 0.02:
            print(f"Note: the generations of each digit barely vary with z (mean pixel standard deviation "
                  f"{spread:.3f}): the decoder ignores z, a sign of posterior collapse (see items 6 and 7).")
        if accuracy < 0.5 and label_independent(predicted.reshape(NUM_CLASSES, per_digit)):
            print("The classifier reads the same mix of digits in every row of the grid: your generations do "
                  "not depend on the digit asked for. Check that the decoder gets concat(z, c) (item 4.4) and "
                  "that train_vae passes each batch's labels (item 5); a model trained too little (item 7) "
                  "does this too.")
        if fraction < 1.0:
            self.fail(f"Expected more than {tiers[0][0]:.0%} accuracy, got {accuracy:.1%}"
                      + (f" ({fraction:.0%} of the points)." if fraction else "."))


def label_independent(predicted, tolerance=0.25):
    """Whether the classifier's labels (C, per_digit) are spread alike whatever digit was asked for:
    on average, a row's label distribution is within `tolerance` (total variation) of the overall one."""
    counts = np.stack([np.bincount(row, minlength=NUM_CLASSES)[:NUM_CLASSES] for row in predicted.astype(int)]) / predicted.shape[1]
    return bool((0.5 * np.abs(counts - counts.mean(axis=0)).sum(axis=1)).mean() < tolerance)


class TestLeaderboard(RubricTest):
    """Optional Gradescope leaderboard columns; an entry appears only when its value exists."""

    @leaderboard("VAE test loss", "asc")
    def test_vae_loss(self, set_leaderboard_value=None):
        set_leaderboard_value(self.value(lambda: round(self.evidence.evaluation("vae").test_loss, 2)))

    @leaderboard("CVAE test loss", "asc")
    def test_cvae_loss(self, set_leaderboard_value=None):
        set_leaderboard_value(self.value(lambda: round(self.evidence.evaluation("cvae").test_loss, 2)))

    @leaderboard("CVAE accuracy", "desc")
    def test_accuracy(self, set_leaderboard_value=None):
        per_digit = int(self.evidence.config.thresholds["generations_per_digit"])
        set_leaderboard_value(self.value(
            lambda: round(float((self.evidence.classification() == np.repeat(np.arange(NUM_CLASSES), per_digit)).mean()), 4)))

    def value(self, get):
        try:
            return get()
        except Exception:
            return None
