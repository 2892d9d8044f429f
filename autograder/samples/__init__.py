"""Sample submissions that test the grader, each with the score it must get.

Each folder here holds a sample.toml:

    description = "reparameterize uses exp(logvar) as the standard deviation"
    base = "solutions"            # start from solutions/ (with its README) or "stencil" (hw6/)
    config = "limits.toml"        # optional: a config overlay in this folder, e.g. short limits
    [[edits]]                     # text replacements; each `old` must occur exactly once
    file = "vae.py"
    old = "tf.exp(0.5 * logvar)"
    new = "tf.exp(logvar)"
    [expected]                    # items that do not get full marks, and what they get
    "2.3" = 0

plus, optionally, files/ whose contents are copied over the result (hostile code, READMEs).
Materialized, a sample has the handout's layout: hw6/code/{vae.py,assignment.py}, hw6/README.md.

    python -m autograder.samples                  # list the samples
    python -m autograder.samples write NAME DEST  # materialize one
"""
import shutil
import tomllib
from pathlib import Path

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
    return HERE / name / overlay if overlay else None


def expected_scores(name, config):
    """{item: expected score} for every item of the config; full marks unless listed."""
    expected = {number: float(item["points"]) for number, item in config.raw["items"].items()}
    expected.update({number: float(score) for number, score in spec(name).get("expected", {}).items()})
    return expected


def materialize(name, dest):
    """Write sample `name` to dest/hw6/... and return dest."""
    sample, dest = spec(name), Path(dest)
    code = dest / "hw6" / "code"
    code.mkdir(parents=True, exist_ok=True)
    if sample["base"] == "solutions":
        for path in ("vae.py", "assignment.py"):
            shutil.copyfile(ROOT / "solutions" / path, code / path)
        shutil.copyfile(ROOT / "solutions" / "README.md", dest / "hw6" / "README.md")
    elif sample["base"] == "stencil":
        for path in ("vae.py", "assignment.py"):
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
    extra = HERE / name / "files"
    if extra.is_dir():
        shutil.copytree(extra, dest / "hw6", dirs_exist_ok=True)
    return dest
