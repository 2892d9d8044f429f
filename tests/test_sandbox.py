"""Does the sandbox contain a process: time limits per step, bounded output, limits, and no
symlink tricks on the files it reads back? (Plain Python children: no TensorFlow needed.)"""
import json
import os
import resource
import sys

import pytest

from autograder.sandbox import process as sandbox
from autograder.sandbox.users import identity, tasks_of

LIMITS = dict(memory_mib=2048, processes=256, output_kib=4)


@pytest.fixture(scope="module")
def who():
    return identity("student")


def run(who, code, tmp_path, step_limits=None, **kwargs):
    os.chmod(tmp_path, 0o777)  # the sandbox user writes its progress file here
    return sandbox.run([sys.executable, "-c", code], who=who, cwd=str(tmp_path), env={"PATH": os.environ["PATH"]},
                       step_limits=step_limits or {"total": 30}, progress_file=str(tmp_path / "progress.json"),
                       **dict(LIMITS, **kwargs))


def test_identity_switches_user_when_root(who):
    """As root, is student code run as the unprivileged sandbox user, without network?"""
    if os.geteuid() != 0:
        pytest.skip("only root can switch users; this runs as root in CI")
    assert who.switched and who.uid != 0 and who.network_isolated, who.describe()


def test_step_limit_kills_and_names_the_step(who, tmp_path):
    """Is a step that overruns its limit killed, with a message naming the step?"""
    code = ("import json, time\n"
            "json.dump({'kind': 'epoch', 'label': 'train_vae on epoch 3'}, open('progress.json', 'w'))\n"
            "while True: time.sleep(0.1)\n")
    result = run(who, code, tmp_path, step_limits={"epoch": 1.5, "total": 60})
    assert result.killed == "train_vae on epoch 3 exceeded its limit of 2 s"
    assert result.seconds < 10


def test_total_limit(who, tmp_path):
    """Is a process that reports no step killed at the stage's total limit?"""
    result = run(who, "while True: pass", tmp_path, step_limits={"total": 1.5})
    assert "total limit" in result.killed


def test_output_is_bounded(who, tmp_path):
    """Are megabytes of prints cut to the first and last output_kib KiB, with a note?"""
    result = run(who, "import sys\nfor i in range(200000): print('line', i)\nprint('THE END')", tmp_path)
    assert result.returncode == 0 and result.output_dropped > 1_000_000
    assert result.output.startswith("line 0\n") and result.output.rstrip().endswith("THE END")
    assert "bytes of output cut" in result.output and len(result.output) < 10_000


def test_memory_cap(who, tmp_path):
    """Does an allocation beyond the address-space cap fail inside the child?"""
    result = run(who, "x = bytearray(4 << 30)", tmp_path, memory_mib=1024)
    assert result.returncode != 0 and "MemoryError" in result.output


def test_fork_bomb_is_capped_and_cleaned_up(who, tmp_path):
    """Is a fork bomb stopped at the process cap, and every leftover process killed?"""
    code = ("import os, time\n"
            "for _ in range(10000):\n"
            "    try:\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(600); os._exit(0)\n"
            "    except OSError:\n"
            "        print('fork refused'); break\n")
    result = run(who, code, tmp_path, processes=64, step_limits={"total": 20})
    assert "fork refused" in result.output
    if who.switched:  # killed; zombies wait for init to reap them
        assert tasks_of(who.uid, include_zombies=False) == 0


def test_no_network(who, tmp_path):
    """Does a connection attempt fail when the network is isolated?"""
    if not who.network_isolated:
        pytest.skip("network isolation needs root")
    code = ("import socket\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 80), timeout=3); print('CONNECTED')\n"
            "except OSError as e:\n"
            "    print('refused', e)\n")
    result = run(who, code, tmp_path)
    assert "refused" in result.output and "CONNECTED" not in result.output


def test_read_untrusted_refuses_symlinks_and_huge_files(tmp_path):
    """Are symlinks (e.g. to a grader file) and oversized files refused when read back?"""
    secret = tmp_path / "secret"
    secret.write_text("answer")
    (tmp_path / "link.json").symlink_to(secret)
    with pytest.raises(OSError):
        sandbox.read_untrusted(tmp_path / "link.json")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    with pytest.raises(ValueError, match="over the"):
        sandbox.read_untrusted(tmp_path / "big", max_bytes=1024)
    (tmp_path / "ok.json").write_text(json.dumps({"a": 1}))
    assert json.loads(sandbox.read_untrusted(tmp_path / "ok.json")) == {"a": 1}


def test_no_address_space_cap_where_a_gpu_is_visible(who, tmp_path, monkeypatch):
    """Where a GPU is visible, is RLIMIT_AS left open for CUDA (and set on CPU machines)?"""
    show = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    monkeypatch.setattr(sandbox, "gpu_visible", lambda: False)
    assert run(who, show, tmp_path).output.strip() == str(LIMITS["memory_mib"] << 20)
    monkeypatch.setattr(sandbox, "gpu_visible", lambda: True)
    assert run(who, show, tmp_path).output.strip() == str(resource.RLIM_INFINITY)


def test_gpu_visible_reads_devices_and_cuda_visible_devices(monkeypatch):
    """Is a GPU seen from /dev/nvidia<N>, unless CUDA_VISIBLE_DEVICES hides every device?"""
    monkeypatch.setattr(os, "listdir", lambda path: ["null", "nvidiactl", "nvidia0"] if path == "/dev" else [])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert sandbox.gpu_visible()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert not sandbox.gpu_visible()
    monkeypatch.setattr(os, "listdir", lambda path: ["null", "nvidiactl"])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert not sandbox.gpu_visible()  # the control node alone is no GPU


def test_memory_limit_counts_pages_shared_after_fork_once(tmp_path):
    """Is a session over the resident-memory limit only when its own pages are, so that children
    sharing a parent's pages after fork() are not counted twice?"""
    import subprocess
    import time

    code = ("import os, time\n"
            "block = bytearray(os.urandom(1 << 20) * 200)  # 200 MiB, resident\n"
            "children = [os.fork() for _ in range(3)]  # 2**3 processes share it\n"
            "open('ready', 'w').close() if all(children) else None\n"
            "time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        pids = sandbox.session_pids(proc.pid)
        assert len(pids) == 8
        assert sandbox.session_rss_mib(pids) > 1200  # each process maps the same 200 MiB
        assert sandbox.over_memory(proc.pid, 1000) is None  # counted once: ~200 MiB
        assert sandbox.over_memory(proc.pid, 150) > 190
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
