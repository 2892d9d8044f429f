"""Do the shipped-weights flags see what they should in the student's code and first epoch, and
nothing in the given code, the reference or any honest sample?

Pure Python: the samples' code is read, nothing is trained. The flags of graded samples (the
cheat's in the staff log and the gradebook, nobody else's) are checked in test_grader_samples.py.
"""
import pytest

from autograder import samples
from autograder.config import load_config
from autograder.evidence.integrity import code_findings, first_epoch, floor_at
from autograder.intake.student_code import StudentCode, read_student_code
from autograder.results.grade import REFERENCE_DIR

CHEAT = "cheat-shipped-weights"
TABLE = [[16, 200.0], [256, 140.0]]


def findings(name, tmp_path):
    return code_findings(read_student_code(samples.materialize(name, tmp_path / "src"), tmp_path / "scratch",
                                           REFERENCE_DIR))


@pytest.mark.parametrize("name", [n for n in samples.names() if n != CHEAT])
def test_honest_samples_load_no_weights(name, tmp_path):
    """Does no sample but the cheat (the reference, the stencil, the styles, the bugs, the hostile
    ones) have student code that loads weights or holds a large array?"""
    assert findings(name, tmp_path) == []


def test_given_code_is_not_scanned(tmp_path):
    """The given code calls model.load_weights and np.load (assignment.py's load_weights helper and
    read_mnist, conv_vae.py's data readers): would the scan flag them, and does reading only what
    the student wrote leave them out, the optional parts' files included?"""
    texts = {name: (REFERENCE_DIR / name).read_text() for name in ("assignment.py", "conv_vae.py")}
    whole = code_findings(StudentCode({name: [(1, text)] for name, text in texts.items()}))

    def line_of(name, text):  # where the given code makes the call
        return next(i for i, line in enumerate(texts[name].splitlines(), 1) if text in line)
    for name, call, text in (("assignment.py", "model.load_weights", "model.load_weights("),
                             ("assignment.py", "np.load", "np.load(path)"),
                             ("conv_vae.py", "np.frombuffer", "np.frombuffer("), ("conv_vae.py", "np.load", "np.load(")):
        found = f"{name} line {line_of(name, text)} calls {call}"
        assert found in whole, whole
    assert findings("reference", tmp_path / "core") == [] and findings("reference-parts", tmp_path / "parts") == []


def test_cheat_is_found_where_it_loads(tmp_path):
    """Does the cheat sample's scan name the file and line of each thing it does: set_weights in
    train_vae, the base64 literal, np.load and base64.b64decode in its helper module?"""
    found = findings(CHEAT, tmp_path)
    handed_in = (tmp_path / "src" / "hw6" / "code" / "assignment.py").read_text().splitlines()
    line = next(i for i, text in enumerate(handed_in, 1) if "model.set_weights(" in text)
    assert found == [
        f"assignment.py line {line} calls model.set_weights",
        "pretrained.py line 8 holds an encoded literal of 56,400 characters",
        "pretrained.py line 601 calls np.load",
        "pretrained.py line 601 calls base64.b64decode",
    ]


@pytest.mark.parametrize("source, found", [
    ("W = [" + ", ".join(f"{i * 0.01:.2f}" for i in range(300)) + "]", "holds a literal of 300 numbers"),
    ("W = (" + ", ".join(f"[{i}, -{i}]" for i in range(150)) + ")", "holds a literal of 300 numbers"),
    ("W = [" + ", ".join(str(i) for i in range(100)) + "]", None),  # a setting, not weights
    ("B = '" + "QUJD" * 300 + "'", "holds an encoded literal of 1,200 characters"),
    ("H = b'" + "0f" * 600 + "'", "holds an encoded literal of 1,200 characters"),
    ('"""' + "A long docstring that explains the model in words " * 40 + '"""', None),
    ("x = keras.models.load_model('vae.keras')", "calls keras.models.load_model"),
    ("model.load_weights('w.h5')", "calls model.load_weights"),
    ("arrays = numpy.load('w.npz')", "calls numpy.load"),
    ("z = np.random.normal(size=(10, 15))", None),
])
def test_literals_and_calls(source, found):
    """Are long numeric and encoded literals and weight loaders found, and settings, prose and other
    NumPy calls not?"""
    result = code_findings(StudentCode({"helpers.py": [(1, source)]}))
    assert result == ([f"helpers.py line 1 {found}"] if found else [])


def test_oversized_helper_is_flagged_unread(tmp_path):
    """Is a helper module over 1 MiB reported by its size, without being parsed (the grader's memory
    and time stay small whatever a student hands in)?"""
    code = samples.materialize("reference", tmp_path / "src") / "hw6" / "code"
    (code / "weights.py").write_text("W = " + repr(list(range(200_000))) + "\n")  # 1.5 MB
    found = code_findings(read_student_code(tmp_path / "src", tmp_path / "scratch", REFERENCE_DIR))
    assert found == [f"weights.py is {(code / 'weights.py').stat().st_size:,} bytes, too large to read as code"]


def test_floor_interpolates_in_log_steps():
    """Is the floor the table's value at its steps, interpolated in log(steps) between them, and
    absent outside the calibrated range?"""
    assert floor_at(TABLE, 16) == 200 and floor_at(TABLE, 256) == 140
    assert floor_at(TABLE, 64) == pytest.approx(170.0)  # halfway in log: 16 -> 64 -> 256
    assert floor_at(TABLE, 8) is None and floor_at(TABLE, 469) is None


@pytest.mark.parametrize("first, last, test_loss, steps, flagged, said", [
    (120.0, 118.0, 121.0, 64, True, "below the honest floor of 170.0"),
    (190.0, 150.0, 140.0, 64, False, "above the honest floor of 170.0"),
    (0.3, 0.2, 207.0, 64, False, "not judged: train_vae's loss (0.2 in the last epoch) is not on the scale"),
    (120.0, 118.0, 121.0, 469, False, "not judged: the floor is calibrated for 16-256 steps"),
])
def test_first_epoch_judgement(first, last, test_loss, steps, flagged, said):
    """Is a first epoch below the floor flagged, one above it or on another scale (a loss averaged
    over pixels) or of an uncalibrated length not, and does the log line say which?"""
    line, flag = first_epoch("vae", first, last, test_loss, steps, TABLE)
    assert said in line and line.startswith(f"VAE: first epoch {first:.1f} per image in {steps} steps")
    assert (flag is not None) == flagged
    if flagged:
        assert "were trained weights loaded?" in flag


def test_config_floor_covers_the_kits_epochs():
    """Does the config's floor cover the epochs the kit grades: the full 468 steps (60,000 images,
    batch 128) and the short overlays' 32 (4,096 images) and 16 (2,048)?"""
    table = load_config().integrity["first_epoch_floor"]
    assert all(floor_at(table, steps) is not None for steps in (16, 32, 468))
