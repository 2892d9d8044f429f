"""Sections 6 and 7: trained for the full run with the student's own train_vae, each model's
loss on the MNIST test set, measured by the grader (not by the student's loss_function), is
below the threshold."""
from . import RubricTest, item, tiered


class TestTraining(RubricTest):
    def judge(self, kind, set_score):
        e = self.evidence
        tiers = e.config.thresholds["loss_tiers"]
        result = self.need(lambda: e.evaluation(kind))
        fraction = tiered(result.test_loss, tiers, higher_is_better=False)
        points = getattr(type(self), self._testMethodName).__weight__
        set_score(fraction * points)
        if result.train_losses:  # none when train_vae returned no number (item 5.2)
            self.figure("loss_curve", kind.upper(), result.train_losses, result.test_loss, tiers)
        shown = result.reconstructions  # (n, H * W): the first n test images, decoded
        if shown is not None:
            originals = e.test_images[:len(shown)].reshape(len(shown), -1) / 255.0
            self.figure("reconstructions", kind.upper(), originals, shown, result.decode is None)
        epochs = len(result.epoch_seconds)
        lines = [
            f"{kind.upper()} after {epochs} epochs of your train_vae (batch size "
            f"{e.config.training['batch_size']}, learning rate {e.config.training['learning_rate']}):",
            f"  test loss (the grader's negative ELBO per image, 10,000 test images): {result.test_loss:.2f}",
            f"  your train_vae's loss per image, by epoch: "
            + (", ".join(f"{v:.1f}" for v in result.train_losses) or "not a number (see item 5.2)"),
            f"  seconds per epoch: {sum(result.epoch_seconds) / max(1, epochs):.1f}",
        ]
        threshold = tiers[0][0]
        if fraction == 1.0:
            lines.append(f"  {result.test_loss:.2f} < {threshold}: full marks.")
        else:
            lines.append(f"  Expected a test loss below {threshold}, got {result.test_loss:.2f}"
                         + (f" ({fraction:.0%} of the points)." if fraction else "."))
        last = result.train_losses[-1] if result.train_losses else None
        if last is not None and not 0.5 < last / result.test_loss < 2.0:
            lines.append(f"  Your own loss ({last:.2f}) is on a different scale from the grader's "
                         f"({result.test_loss:.2f}): check loss_function (section 3).")
        print("\n".join(lines))
        if fraction < 1.0:
            self.fail(f"{kind.upper()} test loss {result.test_loss:.2f} is not below {threshold}.")

    @item("6.1", partial=True, figures=True)
    def test_vae_loss(self, set_score=None):
        """VAE: after {epochs}, the test loss is below {loss_limit}"""
        self.judge("vae", set_score)

    @item("7.1", partial=True, figures=True)
    def test_cvae_loss(self, set_score=None):
        """CVAE: after {epochs}, the test loss is below {loss_limit}"""
        self.judge("cvae", set_score)
