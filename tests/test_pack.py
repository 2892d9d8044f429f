"""Does the student's pack command make a zip the grader accepts, with the right warnings?"""
import json
import shutil
import subprocess
import sys
import zipfile

from autograder import samples
from conftest import QUICK, ROOT, item_scores, run_module


def pack(hw6, *args):
    shutil.copyfile(ROOT / "hw6" / "pack.py", hw6 / "pack.py")
    return subprocess.run([sys.executable, "pack.py", *args], cwd=hw6, capture_output=True, text=True)


def test_pack_layout_and_left_out_files(tmp_path):
    """Does the zip hold hw6/code/*.py, the flag and the README, and leave out outputs and weights?"""
    samples.materialize("reference", tmp_path)
    hw6 = tmp_path / "hw6"
    (hw6 / "code" / "2470student").write_text("")
    (hw6 / "code" / "outputs").mkdir()
    (hw6 / "code" / "outputs" / "vae_samples.png").write_bytes(b"png")
    (hw6 / "code" / "model_ckpts").mkdir()
    (hw6 / "code" / "model_ckpts" / "vae.weights.h5").write_bytes(b"h5")
    (hw6 / "code" / "notes.bin").write_bytes(b"0" * (2 << 20))
    (hw6 / "HANDOUT.md").write_text("# HW6\n")  # the handout stays out: the grader needs none of it
    proc = pack(hw6, "--skip-checks")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "hw6.zip") as zf:
        names = sorted(zf.namelist())
    assert names == ["hw6/README.md", "hw6/code/2470student", "hw6/code/assignment.py", "hw6/code/compat.py",
                     "hw6/code/speedups.py", "hw6/code/vae.py"]
    assert "2470student flag: PRESENT" in proc.stdout
    for left_out in ("outputs/vae_samples.png", "model_ckpts/vae.weights.h5", "notes.bin (2 MB: too large)"):
        assert left_out in proc.stdout


def test_pack_warns_about_todos_readme_and_flag(tmp_path):
    """On the untouched stencil, does pack name the unimplemented TODOs, the blank README and the absent flag?"""
    samples.materialize("untouched-stencil", tmp_path)
    shutil.copyfile(ROOT / "hw6" / "code" / "test_sanity.py", tmp_path / "hw6" / "code" / "test_sanity.py")
    proc = pack(tmp_path / "hw6")
    assert proc.returncode == 0, proc.stderr
    assert "2470student flag: absent" in proc.stdout
    assert "README.md still has blanks" in proc.stdout
    assert "TODOs not implemented yet: 1.1, 2.1, 3.1, 3.2." in proc.stdout


def test_packed_zip_grades(tmp_path):
    """Does the grader accept the packed zip and find the code, README and flag in it?"""
    samples.materialize("reference", tmp_path)
    (tmp_path / "hw6" / "code" / "2470student").write_text("")
    assert pack(tmp_path / "hw6", "--skip-checks").returncode == 0
    out = tmp_path / "results.json"
    proc = run_module("autograder", "grade", tmp_path / "hw6.zip", "--results", out, "--config", QUICK)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text())
    scores = item_scores(results)
    assert scores["1.1"] == 3 and scores["5.1"] == 4 and scores["9.1"] == 5
    assert "Found the 2470student flag" in next(t["output"] for t in results["tests"] if t["number"] == "9.2")


def test_blank_optional_parts_do_not_warn(tmp_path):
    """Only the core's results must be filled in: blanks in the optional parts' section are fine."""
    samples.materialize("reference", tmp_path)
    hw6 = tmp_path / "hw6"
    template = (ROOT / "hw6" / "README.md").read_text()
    core, parts = template.split("## Optional parts")
    (hw6 / "README.md").write_text(core.replace(": ___", ": 107.1") + "## Optional parts" + parts)
    assert "___" in parts
    assert "README.md still has blanks" not in pack(hw6, "--skip-checks").stdout
    (hw6 / "README.md").write_text(template)
    assert "README.md still has blanks" in pack(hw6, "--skip-checks").stdout
