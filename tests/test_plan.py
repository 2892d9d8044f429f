"""Is each stage's step plan (autograder/sandbox/harness_plan.py, shared by the harness and the
grader) consistent with the config: every kind a time limit, every part a rubric section?"""
from autograder.config import PART_SECTIONS, STEP_KINDS, load_config
from autograder.sandbox.harness_plan import CORE_STAGES, PART_STEPS, plan


def every_plan(epochs=3):
    return {stage: plan(stage, epochs, list(PART_STEPS)) for stage in (*CORE_STAGES, "parts")}


def test_kinds_are_the_configs_time_limits():
    """Is every step's kind a [sandbox.seconds] key, and every key some step's kind?"""
    kinds = {step.kind for steps in every_plan().values() for step in steps}
    assert kinds == set(STEP_KINDS)


def test_parts_are_the_configs():
    """Does the plan have steps for exactly the optional parts the config knows?"""
    assert list(PART_STEPS) == list(PART_SECTIONS)


def test_step_names_are_unique_within_a_stage():
    """Is each step named once in its stage (the records are keyed by name)?"""
    for stage, steps in every_plan().items():
        names = [step.name for step in steps]
        assert len(names) == len(set(names)), stage


def test_stage_limits_are_the_sum_of_their_steps():
    """With config.toml's limits, does each stage get what its steps may take, and no more?"""
    config = load_config()
    seconds = config.seconds
    total = {stage: sum(seconds(step.kind) for step in steps) for stage, steps in every_plan(epochs=10).items()}
    # import; the VAE alone checks reparameterize and loss_function; each model: build, forward,
    # decoder, prepare, 10 epochs, evaluate, generate
    model = seconds("import") + 3 * seconds("evaluate") + 3 * seconds("check") + 10 * seconds("epoch")
    assert total["train-cvae"] == model
    assert total["train-vae"] == model + 2 * seconds("check")
    assert total["parts"] == (4 * seconds("import") + 9 * seconds("part_check") + 3 * seconds("part_train"))
