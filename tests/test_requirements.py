"""Do the install files agree: the kit's and the students' (hw6/) CPU and GPU requirements and the
Gradescope lock pin one TensorFlow?"""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

HW6 = ROOT / "hw6"


def pins(path):
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", path.read_text(), flags=re.M))


def test_gpu_requirements_add_cuda_to_the_same_pins():
    """Does requirements-gpu.txt take every CPU pin and add TensorFlow's and-cuda extra at the same version?"""
    gpu = (ROOT / "requirements-gpu.txt").read_text()
    assert "-r requirements.txt" in gpu
    assert re.search(r"^tensorflow\[and-cuda\]==(\S+)$", gpu, flags=re.M).group(1) == pins(ROOT / "requirements.txt")["tensorflow"]


STAFF_ONLY = "# Staff only"  # requirements.txt: the pins below this line are not for Gradescope


def normalized(pinned):  # pip's name normalization: PyYAML and pyyaml are one package
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pinned.items()}


def test_gradescope_lock_pins_every_requirement():
    """Does requirements.lock pin every package of requirements.txt but pytest and the staff-only
    tools (a missing one, like scipy once, fails every Gradescope grading at import)?"""
    text = (ROOT / "requirements.txt").read_text()
    cpu = normalized(dict(re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", text.split(STAFF_ONLY)[0], flags=re.M)))
    del cpu["pytest"]  # the kit's own tests only
    lock = normalized(pins(ROOT / "autograder" / "gradescope" / "requirements.lock"))
    assert {name: lock.get(name) for name in cpu} == cpu


def test_staff_tools_stay_off_gradescope():
    """Are the staff-only tools (copydetect for the similarity report, submitit for grade-all's Slurm executor) pinned in requirements.txt and
    left out of the Gradescope lock, and does nothing Gradescope runs import them?"""
    staff = normalized(dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text()
                                       .split(STAFF_ONLY)[1], flags=re.M)))
    assert staff == {"copydetect": "0.5.0", "submitit": "1.5.4"}
    assert not set(staff) & set(normalized(pins(ROOT / "autograder" / "gradescope" / "requirements.lock")))
    grading = ("import sys, autograder.__main__, autograder.results.grade, autograder.rubric; "
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('copydetect', 'jinja2', 'submitit')))")
    proc = subprocess.run([sys.executable, "-c", grading], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_students_requirements_are_the_graders():
    """Does hw6/requirements.txt pin each package a student needs at the Gradescope lock's version
    (pytest, which the lock leaves out, at the kit's own)?"""
    students = pins(HW6 / "requirements.txt")
    lock = pins(ROOT / "autograder" / "gradescope" / "requirements.lock")
    expected = dict(lock, pytest=pins(ROOT / "requirements.txt")["pytest"])
    assert {"tensorflow", "keras", "numpy", "matplotlib", "pytest"} <= students.keys()
    assert {name: expected.get(name) for name in students} == students


def test_students_gpu_requirements_add_cuda_to_the_same_pins():
    """Does hw6/requirements-gpu.txt take every CPU pin and add TensorFlow's and-cuda extra at the same version?"""
    gpu = (HW6 / "requirements-gpu.txt").read_text()
    assert re.search(r"^-r requirements\.txt$", gpu, flags=re.M)
    cuda = re.search(r"^tensorflow\[and-cuda\]==(\S+)$", gpu, flags=re.M)
    assert cuda and cuda.group(1) == pins(HW6 / "requirements.txt")["tensorflow"]


def test_compat_reads_the_students_pins():
    """Does the students' compat.py, whose one-line note says when their TensorFlow or Keras differs
    from the grader's, read both pins from hw6/requirements.txt by default (code/../requirements.txt)?"""
    compat = HW6 / "code" / "compat.py"
    tree = ast.parse(compat.read_text())
    wanted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "pinned"
              or isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "REQUIREMENTS"]
    namespace = {"__file__": str(compat), "os": os}  # only these two definitions: no TensorFlow import
    exec(compile(ast.Module(wanted, type_ignores=[]), str(compat), "exec"), namespace)
    lock = pins(ROOT / "autograder" / "gradescope" / "requirements.lock")
    assert Path(namespace["REQUIREMENTS"]).resolve() == HW6 / "requirements.txt"
    assert {name: namespace["pinned"]().get(name) for name in ("tensorflow", "keras")} == \
        {"tensorflow": lock["tensorflow"], "keras": lock["keras"]}
