"""Do the install files agree: the kit's and the students' (hw6/) CPU and GPU requirements and the
Gradescope lock pin one TensorFlow?"""
import ast
import os
import re
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


STAFF_ONLY = {"pytest", "submitit"}  # the kit's own tests; grade-all's Slurm executor (never on Gradescope)


def test_gradescope_lock_pins_every_requirement():
    """Does requirements.lock pin every package of requirements.txt but the staff's own (a missing
    one, like scipy once, fails every Gradescope grading at import), and none of those?"""
    def normalized(path):  # pip's name normalization: PyYAML and pyyaml are one package
        return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins(path).items()}
    cpu = normalized(ROOT / "requirements.txt")
    lock = normalized(ROOT / "autograder" / "gradescope" / "requirements.lock")
    assert STAFF_ONLY <= set(cpu) and not STAFF_ONLY & set(lock)
    needed = {name: version for name, version in cpu.items() if name not in STAFF_ONLY}
    assert {name: lock.get(name) for name in needed} == needed


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
