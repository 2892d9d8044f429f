"""What the harness and the grader agree on: the data's constants, and each stage's step plan.

The harness runs a stage's steps in its plan's order; the grader times each step by its kind and
gives the stage the sum of its steps' limits. Standalone, like the harness beside which it is
copied into the sandbox: the standard library only.

A step's kind is its time limit's key ([sandbox.seconds] in config.toml); its label names it in
the progress lines and in the message when the sandbox stops it.

    train-vae            import; the checks of reparameterize and loss_function (items 2-3); then
                         the VAE's own steps (below)
    train-cvae           import; the CVAE's own steps
        a model's steps: build (MNIST); the forward and decoder checks (item 4), which make the one
        model the stage trains; prepare (the loss before training, item 5.1); an epoch step per
        epoch (items 5 and 6-7); evaluate; generate (only the CVAE generates: the VAE's stage keeps
        that step's time, unused)
    parts                import TensorFlow; then for each part on, import its module and run its steps
"""
from typing import NamedTuple

NUM_CLASSES = 10  # C: MNIST's digits
IMAGE_SHAPE = (28, 28)  # (H, W) of an MNIST image
IMAGE_PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]  # H * W


class Step(NamedTuple):
    name: str   # the record's name in STAGE.jsonl, which the rubric asks for
    kind: str   # its time limit's key in [sandbox.seconds]
    label: str  # what it does, in words: "train_vae on epoch 3"


def check(name, kind="check"):
    return Step(name, kind, f"the {name} check")


def epoch(number):
    return Step(f"epoch_{number}", "epoch", f"train_vae on epoch {number}")


IMPORT = Step("import", "import", "importing vae.py and assignment.py")
CHECKS = (check("reparameterize"), check("loss_function"))  # the functions both models use
BUILD = Step("build", "evaluate", "loading MNIST")
PREPARE = Step("prepare", "check", "preparing the model for training")
EVALUATE = Step("evaluate", "evaluate", "evaluating the trained model on the test set")
GENERATE = Step("generate", "evaluate", "generating digits with the trained model's decoder")
PARTS_IMPORT = Step("import", "import", "importing TensorFlow")
PART_STEPS = {  # each optional part's steps (config.PART_SECTIONS names the parts), after its module's import
    "conv_vae": (*(check(n, "part_check") for n in ("p2_sampling", "p2_architecture", "p2_conditional")),
                 Step("p2_train", "part_train", "training the ConvVAE"),
                 Step("p2_train_conditional", "part_train", "training the ConditionalConvVAE")),
    "latent_tools": tuple(check(n, "part_check") for n in ("p3_log_normal_pdf", "p3_compute_loss",
                                                            "p3_encodings", "p3_walk")),
    "mmd": (check("p4_kernel", "part_check"), check("p4_mmd", "part_check"),
            Step("p4_train", "part_train", "training the MMDVAE")),
}


CORE_STAGES = ("train-vae", "train-cvae")  # one process per model, as the handout's main() runs it


def part_import(part):
    return Step(f"import_{part}", "import", f"importing {part}.py")


def plan(stage, epochs=0, parts=()):
    """The steps of `stage` in the order the harness runs them: epochs for a training stage,
    parts (keys of PART_STEPS) for the parts stage."""
    if stage in CORE_STAGES:
        kind = stage.removeprefix("train-")
        return (IMPORT, *(CHECKS if kind == "vae" else ()), BUILD, check(f"{kind}_forward"), check(f"{kind}_decoder"),
                PREPARE, *map(epoch, range(1, int(epochs) + 1)), EVALUATE, GENERATE)
    if stage == "parts":
        return (PARTS_IMPORT, *(step for part in parts for step in (part_import(part), *PART_STEPS[part])))
    raise ValueError(f"unknown stage {stage!r}")
