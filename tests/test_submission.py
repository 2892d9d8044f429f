"""Does the grader find the student's files in every layout the handout allows, and refuse bad zips?"""
import zipfile

import pytest

from autograder.intake.submission import SubmissionError, locate, open_submission


def make(root, layout, readme=True, flag=False):
    code = root / layout
    code.mkdir(parents=True, exist_ok=True)
    (code / "vae.py").write_text("# vae\n")
    (code / "assignment.py").write_text("# assignment\n")
    if readme:
        (code.parent / "README.md").write_text("VAE loss: 100\n")
    if flag:
        (code / "2470student").write_text("")
    return root


@pytest.mark.parametrize("layout", ["hw6/code", "alice-hw6/hw6/code", "code", "."])
def test_layouts(tmp_path, layout):
    """Are hw6/code, a wrapped hw6/code, code/ and top-level files all found?"""
    sub = locate(make(tmp_path, layout))
    assert (sub.code_dir / "vae.py").read_text() == "# vae\n"
    assert sub.readme is not None and not sub.is_2470


def test_flag_and_zip(tmp_path):
    """Is a zip of the hw6 folder unpacked, and the 2470student flag seen?"""
    make(tmp_path / "src", "hw6/code", flag=True)
    archive = tmp_path / "hw6.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in (tmp_path / "src").rglob("*"):
            zf.write(path, path.relative_to(tmp_path / "src"))
    sub = open_submission(archive, tmp_path / "work")
    assert sub.is_2470 and sub.shown(sub.file("vae.py")) == "hw6/code/vae.py"


def test_missing_file_names_the_expected_path(tmp_path):
    """Does a submission without assignment.py get a message naming hw6/code/assignment.py?"""
    (tmp_path / "hw6" / "code").mkdir(parents=True)
    (tmp_path / "hw6" / "code" / "vae.py").write_text("")
    with pytest.raises(SubmissionError, match="hw6/code/assignment.py"):
        locate(tmp_path)


def test_empty_submission_says_what_was_received(tmp_path):
    """Does a submission with no vae.py say where it belongs and list what arrived?"""
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(SubmissionError, match=r"Expected hw6/code/vae.py .* received: notes.txt"):
        locate(tmp_path)


def test_zip_slip_is_refused(tmp_path):
    """Is a zip entry that escapes the folder refused?"""
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../etc/evil.py", "x = 1\n")
    with pytest.raises(SubmissionError, match="unsafe path"):
        open_submission(archive, tmp_path / "work")


def test_not_a_zip(tmp_path):
    (tmp_path / "hw6.zip").write_text("not a zip")
    with pytest.raises(SubmissionError, match="neither a folder nor a zip"):
        open_submission(tmp_path / "hw6.zip", tmp_path / "work")
