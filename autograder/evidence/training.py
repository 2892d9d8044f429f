"""The training stages' policy and diagnosis: whether to train at all, what the epochs show, the staff log.

Full training (items 6-8) is skipped, with a reason, when the quick checks show it cannot
succeed; a loss that turns non-finite ends the evaluation with a diagnosis of the likely cause.
"""
import math

from ..sandbox.outcome import Unavailable
from .measure import number


def blocker(checks, kind):
    """Why full training of `kind` would be pointless (checks: the checks stage's outcome), or None."""
    try:
        checks.require("import")
        smoke = checks.require(f"{kind}_smoke")
    except Unavailable as why:
        return f"Skipped: the quick one-epoch check of train_vae ({kind.upper()}, item 5) did not pass: {why}"
    if smoke.values.get("weights_changed", 0) == 0:
        return ("Skipped: one epoch of train_vae left every weight unchanged (item 5), so training "
                "cannot lower the loss. Apply the gradients with model.optimizer.apply_gradients.")
    return None


def epochs(outcome, count):
    """(train_vae's loss per image, seconds) of each of the `count` epochs a training stage ran, or
    Unavailable: a step that failed, or a loss that became non-finite (with divergence's diagnosis)."""
    build = outcome.require("build")
    batches = build.values.get("batches") or 1
    records = []
    for e in range(1, int(count) + 1):
        records.append(outcome.require(f"epoch_{e}").values)
        if not math.isfinite(number(records[-1].get("returned"))):
            raise Unavailable(divergence(records, batches, build.values.get("given_optimizer")))
    return [float(e["returned"]) / batches for e in records], [float(e["seconds"]) for e in records]


def log_training(log, stage, steps):
    """Staff log: how the stage ran the student's code, and each epoch's loss and memory."""
    build = steps.get("build")
    if not build or not build.ok:
        return
    compiled = build.values.get("compiled") or {}
    log(f"[{stage}] model call: {compiled.get('call', '?')}; loss_function: {compiled.get('loss', '?')}")
    batches, events, epochs = build.values.get("batches") or 1, [], []
    for name, step in steps.items():
        if name.startswith("epoch_") and step.ok:
            epochs.append(step.values)
            events = step.values.get("compile_events") or events
    if epochs:  # one line each: the live progress lines already gave each epoch's time
        log(f"[{stage}] loss per image by epoch: "
            + ", ".join(f"{number(v.get('returned')) / batches:.2f}" for v in epochs))
        log(f"[{stage}] RSS after each epoch (MiB): " + ", ".join(f"{number(v.get('rss_mib'), 0):.0f}" for v in epochs))
    for event in events:
        log(f"[{stage}] fell back to eager code: {event}")


def divergence(epochs, batches, given_optimizer):
    """Why training stopped at a non-finite loss: the epoch, the last finite loss, and the likely
    causes the grader can see (epochs: the epoch records up to and including the failed one)."""
    bad, good = epochs[-1], epochs[:-1]
    lines = [f"Your train_vae's loss became {number(bad.get('returned'))} in epoch {len(epochs)}"
             + (f"; the last finite loss was {number(good[-1].get('returned')) / batches:.1f} per image, in epoch "
                f"{len(good)}." if good else ", the first epoch.")]
    used = [set(map(str, e["optimizer_steps"])) if isinstance(e.get("optimizer_steps"), dict) else set()
            for e in epochs]
    causes = []
    if len(used) > 1 and all(a and b and not a & b for a, b in zip(used, used[1:])):
        causes.append("train_vae makes a new optimizer in every call: Adam's state resets every epoch, and a "
                      "fresh Adam's first steps are large. Use model.optimizer.")
    elif used[-1] and str(given_optimizer) not in used[-1]:
        causes.append("train_vae steps its own optimizer, not model.optimizer.")
    logvar = good[-1].get("logvar_range") if good else None
    logvar = [number(v) for v in logvar] if isinstance(logvar, list) and len(logvar) == 2 else None
    if logvar and logvar[1] > 10:
        causes.append(f"after epoch {len(good)}, logvar reached {logvar[1]:.1f} on test images, so "
                      f"exp(logvar) = {math.exp(min(logvar[1], 700)):.3g}; float32 overflows above exp(88). "
                      "Check the logvar head and where exp(logvar) is used.")
    if causes:
        lines.append("Likely causes the grader can see: " + " ".join(causes))
    else:
        lines.append("The grader saw one optimizer throughout" + (
            f" and logvar within [{logvar[0]:.1f}, {logvar[1]:.1f}]" if logvar else "")
            + ": look for a log of 0, a division by zero or a NaN in loss_function.")
    return " ".join(lines)
