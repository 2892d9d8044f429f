"""Section 8: the trained CVAE generates the digits it is asked for, as judged by a
pretrained MNIST classifier (99% accurate on real digits)."""
import numpy as np

from gradescope_utils.autograder_utils.decorators import leaderboard

from . import RubricTest, item, tiered


class TestGeneration(RubricTest):
    @item("8.1", partial=True)
    def test_generation_accuracy(self, set_score=None):
        """CVAE: the classifier recognizes more than 90% of its generated digits"""
        g = self.grading
        per_digit = int(g.config.thresholds["generations_per_digit"])
        predicted = self.evidence(g.classification)
        asked = np.repeat(np.arange(10), per_digit)
        accuracy = float((predicted == asked).mean())
        tiers = g.config.thresholds["accuracy_tiers"]
        fraction = tiered(accuracy, tiers, higher_is_better=True)
        set_score(fraction * type(self).test_generation_accuracy.__weight__)
        by_digit = ", ".join(f"{d}: {np.mean(predicted[asked == d] == d):.0%}" for d in range(10))
        print(f"{per_digit} generations per digit from z ~ N(0, I) (fixed seed), decoded with "
              f"model.decoder(concat(z, one_hot(digit))).\nClassifier accuracy: {accuracy:.1%} "
              f"(per digit: {by_digit}).")
        spread = g.generation_spread()
        if spread < 0.02:
            print(f"Note: the generations of each digit barely vary with z (mean pixel standard deviation "
                  f"{spread:.3f}): the decoder ignores z, a sign of posterior collapse (see items 6 and 7).")
        if fraction < 1.0:
            self.fail(f"Expected more than {tiers[0][0]:.0%} accuracy, got {accuracy:.1%}"
                      + (f" ({fraction:.0%} of the points)." if fraction else "."))


class TestLeaderboard(RubricTest):
    """Optional Gradescope leaderboard columns; an entry appears only when its value exists."""

    @leaderboard("VAE test loss", "asc")
    def test_vae_loss(self, set_leaderboard_value=None):
        set_leaderboard_value(self.value(lambda: round(self.grading.evaluation("vae").test_loss, 2)))

    @leaderboard("CVAE test loss", "asc")
    def test_cvae_loss(self, set_leaderboard_value=None):
        set_leaderboard_value(self.value(lambda: round(self.grading.evaluation("cvae").test_loss, 2)))

    @leaderboard("CVAE accuracy", "desc")
    def test_accuracy(self, set_leaderboard_value=None):
        per_digit = int(self.grading.config.thresholds["generations_per_digit"])
        set_leaderboard_value(self.value(
            lambda: round(float((self.grading.classification() == np.repeat(np.arange(10), per_digit)).mean()), 4)))

    def value(self, get):
        try:
            return get()
        except Exception:
            return None
