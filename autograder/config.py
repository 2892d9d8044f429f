"""Load the course-editable rubric (config.toml), optionally overlaid by another TOML file.

An overlay holds only the keys it changes, e.g. a quick trial:

    [training]
    epochs = 2
    train_images = 2048
"""
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("config.toml")
OVERLAY_ENV = "HW6_GRADER_CONFIG"  # path of an overlay, for runs that cannot pass --config
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
STEP_KINDS = ("import", "check", "epoch", "evaluate", "part_check", "part_train")  # of sandbox/harness_plan.py's steps
PART_SECTIONS = {"conv_vae": "10", "latent_tools": "11", "mmd": "12"}  # optional part (its module) -> its item section
GRADUATE_PARTS = {"mmd"}  # graded only for submissions with the 2470student flag


class ConfigError(ValueError):
    """The rubric config is malformed; the message names the key."""


@dataclass(frozen=True)
class Item:
    number: str
    points: float
    visibility: str


@dataclass(frozen=True)
class Config:
    raw: dict

    @property
    def training(self):
        return self.raw["training"]

    @property
    def thresholds(self):
        return self.raw["thresholds"]

    @property
    def sandbox(self):
        return self.raw["sandbox"]

    @property
    def integrity(self):
        """[integrity]: the staff's similarity threshold and the first-epoch floor (never scored)."""
        return self.raw["integrity"]

    @property
    def parts(self):
        """The optional parts the course turned on, in order (see [parts])."""
        return [part for part in PART_SECTIONS if self.raw.get("parts", {}).get(part)]

    def active_parts(self, is_2470):
        """The parts graded for one submission: graduate parts need the 2470student flag."""
        return [part for part in self.parts if is_2470 or part not in GRADUATE_PARTS]

    def item_numbers(self, parts):
        """The rubric's item numbers: the core's and those of `parts`."""
        sections = {PART_SECTIONS[p] for p in parts}
        return [n for n in self.raw["items"] if part_of(n) is None or n.split(".")[0] in sections]

    def item(self, number):
        spec = self.raw["items"].get(number)
        if spec is None:
            raise ConfigError(f"config has no [items] entry for {number!r}")
        return Item(number, float(spec["points"]), spec.get("visibility", "visible"))

    def seconds(self, kind):
        """Wall-clock limit of one step of this kind (see STEP_KINDS)."""
        return float(self.raw["sandbox"]["seconds"][kind])

    def with_sandbox(self, **values):
        """A copy with [sandbox] keys replaced (command-line overrides); None values are ignored."""
        changes = {k: v for k, v in values.items() if v is not None}
        return Config(merge(self.raw, {"sandbox": changes}))

    @property
    def max_score(self):
        """Points of the core and of every part turned on (graduate parts included)."""
        return sum(float(self.raw["items"][n]["points"]) for n in self.item_numbers(self.parts))


def part_of(number):
    """The optional part item `number` belongs to, or None for a core item."""
    return next((part for part, section in PART_SECTIONS.items() if number.split(".")[0] == section), None)


def merge(base, overlay):
    """Deep-merge overlay into a copy of base; tables merge, other values replace."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate(raw, source):
    for table in ("training", "thresholds", "sandbox", "items", "integrity"):
        if not isinstance(raw.get(table), dict):
            raise ConfigError(f"{source}: missing table [{table}]")
    seconds = raw["sandbox"].get("seconds", {})
    for kind in STEP_KINDS:
        if not isinstance(seconds.get(kind), (int, float)) or seconds[kind] <= 0:
            raise ConfigError(f"{source}: [sandbox.seconds] needs {kind} > 0")
    for key in ("memory_mib", "rss_mib", "processes", "output_kib"):
        if not isinstance(raw["sandbox"].get(key), int) or raw["sandbox"][key] <= 0:
            raise ConfigError(f"{source}: sandbox.{key} must be a positive integer")
    for number, spec in raw["items"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("points"), (int, float)) or spec["points"] < 0:
            raise ConfigError(f"{source}: item {number!r} needs points >= 0")
        if spec.get("visibility", "visible") not in VISIBILITIES:
            raise ConfigError(f"{source}: item {number!r} has visibility {spec['visibility']!r}; "
                              f"use one of {sorted(VISIBILITIES)}")
    for part, on in raw.get("parts", {}).items():
        if part not in PART_SECTIONS or not isinstance(on, bool):
            raise ConfigError(f"{source}: [parts] takes {', '.join(PART_SECTIONS)} = true/false, not {part!r}")
    if any(raw.get("parts", {}).values()):
        for table in ("part_training", "part_thresholds"):
            if not isinstance(raw.get(table), dict):
                raise ConfigError(f"{source}: optional parts are on but [{table}] is missing")
    if not isinstance(raw["training"].get("epochs"), int) or raw["training"]["epochs"] < 2:
        raise ConfigError(f"{source}: training.epochs must be an integer >= 2 (item 5.3 compares the first "
                          "two epochs)")
    if raw["training"].get("compile", "auto") not in ("auto", "never"):
        raise ConfigError(f"{source}: training.compile must be \"auto\" or \"never\"")
    threshold = raw["integrity"].get("similarity_threshold")
    if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ConfigError(f"{source}: integrity.similarity_threshold must be a number from 0 to 1")
    floor = raw["integrity"].get("first_epoch_floor")
    if not floor or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
                            for p in floor) or [p[0] for p in floor] != sorted({p[0] for p in floor}):
        raise ConfigError(f"{source}: integrity.first_epoch_floor must be [steps, loss] pairs, steps increasing")
    for name in ("loss_tiers", "accuracy_tiers"):
        tiers = raw["thresholds"].get(name)
        if not tiers or not all(isinstance(t, list) and len(t) == 2 for t in tiers):
            raise ConfigError(f"{source}: thresholds.{name} must be a list of [limit, fraction] pairs")


def load_config(overlay=None):
    """The default config, overlaid by `overlay` (a path) or else by $HW6_GRADER_CONFIG."""
    with open(DEFAULT_PATH, "rb") as f:
        raw = tomllib.load(f)
    source = str(DEFAULT_PATH)
    overlay = overlay or os.environ.get(OVERLAY_ENV)
    if overlay:
        with open(overlay, "rb") as f:
            raw = merge(raw, tomllib.load(f))
        source = f"{DEFAULT_PATH} + {overlay}"
    validate(raw, source)
    return Config(raw)
