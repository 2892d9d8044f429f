"""Do the install files agree: the CPU and GPU requirements and the Gradescope lock pin one TensorFlow?"""
import re

from conftest import ROOT


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
