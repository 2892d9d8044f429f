"""What the epochs of the student's train_vae show: the losses, the optimizer's state, a divergence's cause, the staff log.

Each epoch's record (sandbox/harness_core.py) holds what train_vae returned and the Keras
optimizers that took steps, read from their own `iterations`, so that every verdict here is the
same whether the student's loop runs eagerly, in a tf.function or under XLA.
"""
import math
from dataclasses import dataclass

from ..sandbox.outcome import Unavailable
from .measure import number

UNCHANGED = ("Skipped: one epoch of train_vae left every weight unchanged (item 5), so training "
             "cannot lower the loss. Apply the gradients with model.optimizer.apply_gradients.")


def epochs(outcome, count):
    """(train_vae's loss per image, seconds) of each of the `count` epochs a model's stage ran, or
    Unavailable: a step that failed, a first epoch that changed no weight, or a loss that became
    non-finite (with divergence's diagnosis). The losses are [] if train_vae returned no number
    (item 5.2 says so; the grader measures the loss itself)."""
    build, prepare = outcome.require("build"), outcome.require("prepare")
    batches = build.values.get("batches") or 1
    records = []
    for e in range(1, int(count) + 1):
        if e > 1 and records[0].get("weights_changed", 0) == 0:
            raise Unavailable(UNCHANGED)
        records.append(outcome.require(f"epoch_{e}").values)
        if records[-1].get("returned") is not None and not math.isfinite(number(records[-1]["returned"])):
            raise Unavailable(divergence(records, batches, prepare.values.get("given_optimizer")))
    if records[0].get("weights_changed", 0) == 0:
        raise Unavailable(UNCHANGED)
    returned = [number(e.get("returned")) for e in records]  # None where train_vae returned no number (5.2)
    losses = [value / batches for value in returned] if all(math.isfinite(v) for v in returned) else []
    return losses, [float(e["seconds"]) for e in records]


@dataclass
class OptimizerUse:
    """What two consecutive calls of train_vae did with Keras optimizers (item 5.3)."""
    kept: bool        # one optimizer went on stepping from the first call into the second
    own: bool         # ... and it is not model.optimizer
    new_each_call: bool  # each call stepped an optimizer made during that call
    stepped: bool     # any Keras optimizer took a step at all


def optimizer_use(first, second, given):
    """OptimizerUse from two epoch records' "optimizers" ({"steps": {serial: iterations}, "made":
    [serials]}) and the serial of model.optimizer."""
    def read(record):
        seen = record.get("optimizers") if isinstance(record, dict) else None
        seen = seen if isinstance(seen, dict) else {}
        steps = seen.get("steps") if isinstance(seen.get("steps"), dict) else {}
        made = seen.get("made") if isinstance(seen.get("made"), list) else []
        return {str(k): number(v, 0) for k, v in steps.items()}, set(map(str, made))

    (steps_1, made_1), (steps_2, made_2) = read(first), read(second)
    kept = [s for s, count in steps_2.items() if 0 < steps_1.get(s, 0) < count]
    new_each_call = bool(made_1 and made_2) and not kept
    return OptimizerUse(kept=bool(kept), own=bool(kept) and str(given) not in kept,
                        new_each_call=new_each_call, stepped=bool(steps_1 or steps_2 or new_each_call))


def keras2_notes(steps):
    """What the given compat.py mapped (Keras 2's names on Keras 3), from a stage's step records."""
    notes = []
    for step in steps.values():
        mapped = step.values.get("keras2")
        for note in mapped if isinstance(mapped, list) else []:
            if isinstance(note, str) and note[:300] not in notes:
                notes.append(note[:300])
    return notes


def log_training(log, stage, steps):
    """Staff log: how the stage ran the student's code, and each epoch's loss and memory."""
    build, prepare = steps.get("build"), steps.get("prepare")
    if not (build and build.ok and prepare and prepare.ok):
        return
    compiled = prepare.values.get("compiled") or {}
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
    causes = []
    use = optimizer_use(epochs[-2], epochs[-1], given_optimizer) if len(epochs) > 1 else None
    if use and use.new_each_call:
        causes.append("train_vae makes a new optimizer in every call: Adam's state resets every epoch, and a "
                      "fresh Adam's first steps are large. Use model.optimizer.")
    elif use and use.own:
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
        seen = ("one optimizer throughout" if use else "nothing unusual") + (
            f" and logvar within [{logvar[0]:.1f}, {logvar[1]:.1f}]" if logvar else "")
        lines.append(f"The grader saw {seen}: look for a log of 0, a division by zero or a NaN in loss_function.")
    return " ".join(lines)
