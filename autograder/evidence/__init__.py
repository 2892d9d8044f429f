"""Evidence, the third stage: what the grader knows of one submission, for the rubric to score.

The rubric reads one object, Evidence: the submission as taken in (intake), the records of the
sandbox's stages, and the grader's own measurements of them. Each piece is gathered once, when
an item first asks for it (so a stage runs only then), or kept with the Unavailable that says why
it is missing. The stages, in the order items ask for them:

    train-vae   student process, as `python assignment.py` runs: import; the checks of
                reparameterize and loss_function (items 2-3); then one VAE, checked (item 4) and
                trained with the student's train_vae (its first epochs: item 5; all: item 6)
    train-cvae  the same for one CVAE (items 4, 5 and 7), plus the generations for item 8
    classify    in the grader (trusted code, NumPy): the pretrained classifier labels the generations
    parts       student process: the optional parts that are on (part_inputs.py, harness_parts.py)
A stage whose first epoch changes no weight stops there (training.epochs says why).
"""
from ..intake.signatures import signatures
from ..sandbox.harness_plan import IMAGE_PIXELS, IMAGE_SHAPE, NUM_CLASSES  # noqa: F401 (the rubric's too)
from ..sandbox.outcome import StageOutcome, Unavailable  # noqa: F401 (the rubric's too)
from . import measure, part_inputs, training
from .measure import Evaluation, validated
from .once import Once


class Evidence:
    """One submission's evidence. intake: intake.receive's Intake; stages: a sandbox.stages.StageRunner;
    inputs: inputs.Inputs; classifier: classify.Classifier; log: the staff log."""

    def __init__(self, config, intake, stages, inputs, classifier, log):
        self.config, self.intake, self.stages, self.inputs = config, intake, stages, inputs
        self.classifier, self.log = classifier, log
        self.notes = []  # how the grader measured, where students and staff should know (results' summary)
        self.once = Once()

    # --- the submission, as taken in -------------------------------------------------------

    @property
    def submission(self):
        return self.intake.submission

    @property
    def sanitized(self):
        return self.intake.sanitized

    @property
    def setup_error(self):
        return self.intake.error

    def signatures(self, name):
        """{name or Class.method: '(params)'} in the sanitized file `name`."""
        return signatures(self.sanitized[name].text)

    @property
    def active_parts(self):
        """The optional parts graded for this submission (graduate ones need the flag)."""
        return self.config.active_parts(self.submission is not None and self.submission.is_2470)

    # --- the sandbox's stages, each run once ----------------------------------------------

    def model(self, kind):
        """The outcome of kind's stage ('vae' or 'cvae'): its checks and its training, in one
        process. The VAE's stage also holds the import (item 1) and the functions' checks (2-3)."""
        return self.once(("stage", kind), lambda: self._model(kind))

    def _model(self, kind):
        stage = f"train-{kind}"
        if self.setup_error:
            return StageOutcome(stage, None, skipped=self.setup_error)
        outcome = self.stages.run(stage, self.inputs.model(kind))
        training.log_training(self.log, stage, outcome.steps)
        mapped = training.keras2_notes(outcome.steps)
        if mapped:
            self.notes.extend(note for note in mapped if note not in self.notes)
            self.log(f"[{stage}] Keras-2 names mapped by compat.py: " + "; ".join(mapped))
        return outcome

    @property
    def checks(self):
        """The stage that imports the submission and checks the functions both models use (items 1-3)."""
        return self.model("vae")

    def parts(self):
        """The outcome of the optional parts' stage."""
        return self.once("parts", self._parts)

    def _parts(self):
        parts = self.active_parts
        if self.setup_error:
            return StageOutcome("parts", None, skipped=self.setup_error)
        if not parts:
            return StageOutcome("parts", None, skipped="Skipped: no optional part is graded.")
        settings = part_inputs.settings(self.config, parts, self.intake.broken_parts)
        return self.stages.run("parts", part_inputs.inputs(self.inputs), extra=settings)

    def stage_inputs(self, stage):
        """The arrays the grader gave `stage`, to judge its outputs against."""
        return self.stages.inputs(stage)

    # --- the grader's own measurements ------------------------------------------------------

    @property
    def loss_inputs(self):
        """Item 3's fixed inputs: {case: {x_hat, x, mu, logvar}}, as the checks stage got them."""
        return self.inputs.loss_inputs

    @property
    def test_images(self):
        """MNIST's test images, (N, H, W) uint8."""
        return self.inputs.test_set[0]

    def _measure(self, step, images, labels, kind, secret, prefix=""):
        return measure.measure(step, images, labels, kind, self.inputs.rng(secret), self.inputs.probe(kind),
                               self.config.training["latent_size"], prefix)

    def first_epoch_loss(self, kind, when):
        """The grader's loss on 500 held-out images of kind's model, "before" or "after" its first
        epoch, with the same secret noise for both (item 5.1)."""
        outcome = self.model(kind)
        step = outcome.require("prepare" if when == "before" else "epoch_1")
        inputs = self.stages.inputs(outcome.name)
        return self._measure(step, inputs["eval_images"], inputs["eval_labels"], kind,
                             f"secret-first-epoch-{kind}", prefix=f"{when}_").loss

    def evaluation(self, kind):
        """The trained `kind` model's measure.Evaluation, or Unavailable saying why there is none."""
        return self.once(("evaluation", kind), lambda: self._evaluate(kind))

    def _evaluate(self, kind):
        outcome = self.model(kind)
        losses, seconds = training.epochs(outcome, self.config.training["epochs"])
        x_test, y_test = self.inputs.test_set
        measured = self._measure(outcome.require("evaluate"), x_test, y_test, kind, f"secret-test-{kind}")
        if measured.note:
            self.notes.append(f"{kind.upper()}: {measured.note}")
            self.log(f"REVIEW: {kind.upper()} was evaluated with the student's own decoder: {measured.note}")
        return Evaluation(measured.loss, losses, seconds, measured.decode, measured.reconstructions)

    def evaluated(self, kind):
        """The trained `kind` model's Evaluation if an item already asked for it, else None: runs nothing
        (for the staff's integrity flags, which never start a stage)."""
        if not self.once.known(("evaluation", kind)):
            return None
        try:
            return self.evaluation(kind)
        except Unavailable:
            return None

    def generations(self):
        """The CVAE's generations, (C * per_digit, H * W) in blocks by digit, decoded by the grader
        from z ~ N(0, I) it draws itself (or, if the decoder cannot be rebuilt, by the student's code)."""
        return self.once("generations", self._generate)

    def _generate(self):
        evaluation = self.evaluation("cvae")  # a model that failed its evaluation is not scored
        per_digit = int(self.config.thresholds["generations_per_digit"])
        if evaluation.decode is None:
            return validated(self.model("cvae").require("generate").arrays, "generated",
                             (NUM_CLASSES * per_digit, IMAGE_PIXELS), 0.0, 1.0)
        return measure.generate(evaluation.decode, self.inputs.rng("secret-generation"), per_digit,
                                self.config.training["latent_size"])

    def generation_spread(self):
        """Mean over digits and pixels of the generations' standard deviation across z."""
        per_digit = self.generations().reshape(NUM_CLASSES, -1, IMAGE_PIXELS)
        return float(per_digit.std(axis=1).mean())

    def classification(self):
        """Labels (C * per_digit,) the trusted classifier gives the CVAE's generations."""
        return self.once("labels", lambda: self.classifier.labels(self.generations()))

    def labels(self, tag, images):
        """Labels (N,) the trusted classifier gives images (N, H * W) in [0, 1], once per tag
        ("-parts", "-mmd": the optional parts' generations)."""
        return self.once(("labels", tag), lambda: self.classifier.labels(images, tag))

    def mmd_prior(self, count):
        """Item 12.3's (count, Z) samples of N(0, I), seeded."""
        return part_inputs.prior(self.inputs, count)
