"""Do the install files agree: the CPU and GPU requirements and the Gradescope lock pin one TensorFlow?"""
import re
import subprocess
import sys

from conftest import ROOT


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
    """Are the staff-only tools (copydetect, for the similarity report) pinned in requirements.txt and
    left out of the Gradescope lock, and does nothing Gradescope runs import them?"""
    staff = normalized(dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text()
                                       .split(STAFF_ONLY)[1], flags=re.M)))
    assert staff == {"copydetect": "0.5.0"}
    assert not set(staff) & set(normalized(pins(ROOT / "autograder" / "gradescope" / "requirements.lock")))
    grading = ("import sys, autograder.__main__, autograder.results.grade, autograder.rubric; "
               "print(sorted(m for m in sys.modules if m.split('.')[0] in ('copydetect', 'jinja2')))")
    proc = subprocess.run([sys.executable, "-c", grading], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
