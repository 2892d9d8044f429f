"""Sample submissions that test the grader, each with the score it must get.

Each folder here holds a sample.toml:

    description = "reparameterize uses exp(logvar) as the standard deviation"
    base = "solutions"            # start from solutions/ (with its README) or "stencil" (hw6/)
    config = "limits.toml"        # optional: a config overlay in this folder, e.g. short limits
    with_parts = true             # optional: also hand in the optional parts' files (conv_vae.py, ...)
    compare = "parts"             # optional: check only the optional parts' items (see below)
    [[edits]]                     # text replacements; each `old` must occur exactly once
    file = "vae.py"
    old = "tf.exp(0.5 * logvar)"
    new = "tf.exp(logvar)"
    [[functions]]                 # whole top-level functions, as a student wrote them
    file = "assignment.py"
    name = "train_vae"
    code = "def train_vae(model, train_loader, args, is_cvae=False): ..."   # a TOML multi-line string
    [expected]                    # items that do not get full marks, and what they get
    "2.3" = 0

plus, optionally, files/ whose contents are copied over the result (hostile code, READMEs, the
2470student flag as files/code/2470student).
Materialized, a sample has the handout's layout: hw6/code/{vae.py,assignment.py,speedups.py,compat.py},
hw6/README.md (speedups.py and compat.py are given code that assignment.py imports).

Which items a sample is checked on: those of its config (default + overlay): the core's, plus
those of each optional part the overlay turns on ([parts]), graduate parts only if the sample has
the 2470student flag. Items of parts that are off must be absent from its results. The parts
overlays (parts*.toml) shorten the core's training to keep CI short, so items 6-8 then score 0
for every sample; their samples say compare = "parts", and only their part items are compared.

    python -m autograder.samples                  # list the samples
    python -m autograder.samples write NAME DEST  # materialize one
"""
import ast
import shutil
import tomllib
from pathlib import Path

from ..intake.receive import GIVEN_MODULES, PART_FILES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def names():
    return sorted(p.parent.name for p in HERE.glob("*/sample.toml"))


def spec(name):
    with open(HERE / name / "sample.toml", "rb") as f:
        return tomllib.load(f)


def config_overlay(name):
    """Path of the sample's config overlay, or None."""
    overlay = spec(name).get("config")
    return (HERE / name / overlay).resolve() if overlay else None  # resolved: samples sharing one are graded together


def has_flag(name):
    return (HERE / name / "files" / "code" / "2470student").is_file()


def compares_all(name):
    """Whether every item is checked (else only the optional parts' items, compare = "parts")."""
    return spec(name).get("compare", "all") == "all"


def sample_config(name):
    """The config the sample is graded with: the default, overlaid by its own overlay."""
    from ..config import load_config
    return load_config(config_overlay(name))


def expected_scores(name, config=None):
    """{item: expected score} for every item the sample is checked on; full marks unless listed.

    config is ignored when the sample has an overlay (its items depend on the overlay's [parts]).
    """
    from ..config import part_of
    config = sample_config(name) if config is None or config_overlay(name) else config
    numbers = config.item_numbers(config.active_parts(has_flag(name)))
    if not compares_all(name):
        numbers = [n for n in numbers if part_of(n)]
    expected = {number: float(config.raw["items"][number]["points"]) for number in numbers}
    listed = {number: float(score) for number, score in spec(name).get("expected", {}).items()}
    unknown = set(listed) - set(expected)
    if unknown:
        raise ValueError(f"sample {name}: expected scores for items it is not checked on: {sorted(unknown)}")
    expected.update(listed)
    return expected


def replace_function(text, name, code):
    """text with its top-level function `name` (decorators and all) replaced by `code`."""
    found = [node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef) and node.name == name]
    if len(found) != 1:
        raise ValueError(f"{len(found)} top-level functions named {name!r}; expected exactly one")
    lines = text.splitlines(keepends=True)
    start = min([found[0].lineno] + [d.lineno for d in found[0].decorator_list]) - 1
    return "".join(lines[:start]) + code.rstrip("\n") + "\n" + "".join(lines[found[0].end_lineno:])


def materialize(name, dest):
    """Write sample `name` to dest/hw6/... and return dest."""
    sample, dest = spec(name), Path(dest)
    code = dest / "hw6" / "code"
    code.mkdir(parents=True, exist_ok=True)
    files = ("vae.py", "assignment.py", *GIVEN_MODULES) + (PART_FILES if sample.get("with_parts") else ())
    if sample["base"] == "solutions":
        for path in files:
            shutil.copyfile(ROOT / "solutions" / path, code / path)
        shutil.copyfile(ROOT / "solutions" / "README.md", dest / "hw6" / "README.md")
    elif sample["base"] == "stencil":
        for path in files:
            shutil.copyfile(ROOT / "hw6" / "code" / path, code / path)
        shutil.copyfile(ROOT / "hw6" / "README.md", dest / "hw6" / "README.md")
    else:
        raise ValueError(f"sample {name}: unknown base {sample['base']!r}")
    for edit in sample.get("edits", []):
        target = code / edit["file"]
        text = target.read_text()
        if text.count(edit["old"]) != 1:
            raise ValueError(f"sample {name}: {edit['old']!r} occurs {text.count(edit['old'])} times "
                             f"in {edit['file']}; it must occur exactly once")
        target.write_text(text.replace(edit["old"], edit["new"]))
    for function in sample.get("functions", []):
        target = code / function["file"]
        target.write_text(replace_function(target.read_text(), function["name"], function["code"]))
    extra = HERE / name / "files"
    if extra.is_dir():
        shutil.copytree(extra, dest / "hw6", dirs_exist_ok=True)
    return dest
