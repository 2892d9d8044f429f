"""Does sanitizing keep exactly the student's own definitions and restore all given code?"""
import pytest

from autograder.intake.sanitize import SanitizeError, sanitize
from conftest import ROOT
from stencil.markers import transform

SAMPLES = ROOT / "autograder" / "samples"


def files(name):
    reference = (ROOT / "solutions" / name).read_text()
    return reference, transform(reference, name)


@pytest.mark.parametrize("name", ["vae.py", "assignment.py"])
def test_reference_and_stencil_are_fixed_points(name):
    """Are the reference and the stencil left exactly as they are, with nothing to report?"""
    reference, stencil = files(name)
    for text in (reference, stencil):
        result = sanitize(reference, stencil, text, name)
        assert result.text == text
        assert not (result.missing or result.restored or result.dropped)


def test_tampered_given_code_is_restored_and_reported():
    """Is an edited bce_function replaced by the handout's, and reported?"""
    reference, stencil = files("vae.py")
    tampered = reference.replace("return tf.reduce_sum(keras.ops.binary_crossentropy(x, x_hat))",
                                 "return 0.0 * tf.reduce_sum(x_hat)")
    result = sanitize(reference, stencil, tampered, "vae.py")
    assert result.restored == ["bce_function"]
    assert result.text == reference


def test_monkeypatching_statements_are_dropped():
    """Are top-level statements that rebind or patch given names dropped, and helpers kept?"""
    reference, stencil = files("assignment.py")
    student = reference + (
        "\nimport vae\nvae.bce_function = lambda x_hat, x: 0.0\none_hot = None\n"
        "def my_helper():\n    return 42\n"
    )
    result = sanitize(reference, stencil, student, "assignment.py")
    assert len(result.dropped) == 2 and "vae.bce_function" in result.dropped[0]
    assert "def my_helper():" in result.text and "import vae\n" in result.text
    assert "lambda x_hat, x: 0.0" not in result.text
    compile(result.text, "assignment.py", "exec")


def test_original_stencil_submission_is_adapted():
    """Does a Keras-2-era submission get the Keras-3 helpers, and its reparametrize graded?"""
    for name in ("vae.py", "assignment.py"):
        reference, stencil = files(name)
        student = (SAMPLES / "original-stencil-style" / "files" / "code" / name).read_text()
        result = sanitize(reference, stencil, student, name)
        compile(result.text, name, "exec")
        assert "Reduction.SUM" not in result.text
        if name == "vae.py":
            assert result.restored == ["bce_function"] and not result.missing
            assert "def reparameterize(mu, logvar):" in result.text
            assert "sqrt(exp(logvar))" in result.text  # the student's own body
            assert "reparametrize = reparameterize" in result.text
        else:
            assert {"parseArguments", "one_hot", "load_mnist", "main"} <= set(result.restored)
            assert "from tqdm import tqdm" in result.text  # the student's own imports stay


def test_missing_definitions_become_stubs():
    """Is a missing student function graded as the stencil's 'not implemented' stub?"""
    reference, stencil = files("vae.py")
    student = reference.split("def reparameterize(")[0]
    result = sanitize(reference, stencil, student, "vae.py")
    assert result.missing == ["reparameterize", "loss_function"]
    assert 'raise NotImplementedError("TODO 3.1")' in result.text


def test_syntax_error_names_the_line():
    """Does a syntax error give a message with the file and line, not a traceback?"""
    reference, stencil = files("vae.py")
    with pytest.raises(SanitizeError, match=r"vae.py has a syntax error at line 3"):
        sanitize(reference, stencil, "import tensorflow\n\ndef broken(:\n", "vae.py")
