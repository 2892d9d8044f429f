"""Does the grader size TensorFlow's threads by a container's CPU quota, not the host's cores?"""
import os

from autograder.sandbox import cpus


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_v2_quota_of_own_group(tmp_path):
    """cgroup v2: cpu.max "50000 100000" in the process's own group is half a CPU."""
    write(tmp_path / "grading" / "cpu.max", "50000 100000\n")
    write(tmp_path / "cpu.max", "max 100000\n")
    assert cpus.cpu_quota(tmp_path, "0::/grading\n") == 0.5


def test_v2_container_root(tmp_path):
    """Inside a container the group's path reads "/" and the quota sits at the root."""
    write(tmp_path / "cpu.max", "150000 100000\n")
    assert cpus.cpu_quota(tmp_path, "0::/\n") == 1.5


def test_v1_quota_with_joined_controllers(tmp_path):
    """cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us, under a "cpu,cpuacct" mount."""
    group = tmp_path / "cpu,cpuacct" / "docker" / "abc"
    write(group / "cpu.cfs_quota_us", "50000\n")
    write(group / "cpu.cfs_period_us", "100000\n")
    proc = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n"
    assert cpus.cpu_quota(tmp_path, proc) == 0.5


def test_unlimited_and_missing_give_none(tmp_path):
    """No quota (-1, "max", or no cgroup files at all) means none."""
    write(tmp_path / "cpu" / "cpu.cfs_quota_us", "-1\n")
    write(tmp_path / "cpu" / "cpu.cfs_period_us", "100000\n")
    assert cpus.cpu_quota(tmp_path, "3:cpu:/\n") is None
    assert cpus.cpu_quota(tmp_path / "nothing", "0::/\n") is None


def test_available_rounds_a_fraction_up_and_never_exceeds_the_cores(monkeypatch):
    """Half a CPU still gets one thread; a quota above the core count is capped by the cores."""
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(cpus, "cpu_quota", lambda: 0.5)
    assert cpus.available() == 1
    monkeypatch.setattr(cpus, "cpu_quota", lambda: cores + 8.0)
    assert cpus.available() == cores
    monkeypatch.setattr(cpus, "cpu_quota", lambda: None)
    assert cpus.available() == cores
