"""Section 9: the hand-in extras the handout asks for."""
import re

from . import RubricTest, item

NUMBER = r"\d+(?:\.\d+)?"


def readme_reports(text):
    """(mentions a loss with a number, mentions an accuracy with a number) for a README's text."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S).lower()  # the template's hints are comments
    loss = re.search(rf"(loss|elbo)[^\n]{{0,60}}?{NUMBER}", text) is not None
    accuracy = re.search(rf"(accuracy|acc\b)[^\n]{{0,60}}?{NUMBER}|{NUMBER}\s*%", text) is not None
    return loss, accuracy


class TestHandIn(RubricTest):
    @item("9.1", partial=True)
    def test_readme(self, set_score=None):
        """README reports your models' losses and the CVAE's accuracy"""
        e = self.evidence
        points = type(self).test_readme.__weight__
        if e.submission is None or e.submission.readme is None:
            set_score(0)
            self.fail("No README found: add hw6/README.md with your VAE and CVAE losses, the CVAE's "
                      "accuracy (from this autograder's item 8) and any known bugs.")
        text = e.submission.readme.read_text(errors="replace")[:100_000]
        loss, accuracy = readme_reports(text)
        set_score(points * (loss + accuracy) / 2)
        missing = [what for what, ok in (("the losses (e.g. 'VAE loss: 108.2')", loss),
                                         ("the accuracy (e.g. 'accuracy: 96%')", accuracy)) if not ok]
        if missing:
            self.fail(f"{e.submission.shown(e.submission.readme)} does not report {' or '.join(missing)}.")
        print(f"{e.submission.shown(e.submission.readme)} reports losses and an accuracy.")

    @item("9.2")
    def test_2470_flag(self):
        """2470student flag file (graduate students only), reported"""
        e = self.evidence
        if e.submission is not None and e.submission.is_2470:
            print("Found the 2470student flag: graded as CSCI2470 (graduate items apply).")
        else:
            print("No 2470student flag in hw6/code: graded as CSCI1470. Graduate students: add an "
                  "empty file named 2470student to hw6/code and resubmit.")
