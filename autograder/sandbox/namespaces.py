"""Linux namespaces for a student process: no network, and the grader's folders out of sight.

Both need root and a kernel that allows them (can_unshare says); users.identity records which
this machine gives, and process.run applies them between fork and exec.
"""
import ctypes
import os
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what} failed")


def unshare(flags):
    """Move this process into new namespaces of these kinds (in a child, before exec)."""
    _check(_libc().unshare(flags), "unshare")


def can_unshare(flags):
    """Whether this machine lets the grader give a child new namespaces of these kinds."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc().unshare(flags) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def hide_paths(hidden, keep, staging):
    """In the child's own mount namespace, cover each `hidden` folder with an empty tmpfs,
    then bind back the `keep` folders inside them (the Python installation) at their paths.

    staging: an empty folder per kept path, to hold it while its parent is covered.
    """
    libc = _libc()
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    for path, stage in zip(keep, staging):
        _check(libc.mount(path.encode(), stage.encode(), None, MS_BIND | MS_REC, None), f"staging {path}")
    for path in hidden:
        _check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=1m,mode=755"), f"hiding {path}")
    for path, stage in zip(keep, staging):
        os.makedirs(path, exist_ok=True)
        _check(libc.mount(stage.encode(), path.encode(), None, MS_BIND | MS_REC, None), f"restoring {path}")
    for path in hidden:
        _check(libc.mount(None, path.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), f"sealing {path}")


def hiding_plan(hidden, staging_root):
    """(hidden, keep, staging) for hide_paths: keep the parts of Python inside hidden folders."""
    hidden = [os.path.realpath(p) for p in hidden if os.path.isdir(p)]
    keep = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)
                   if any(os.path.realpath(p).startswith(h + os.sep) for h in hidden)})
    staging = []
    for index, _ in enumerate(keep):
        stage = os.path.join(staging_root, f"keep{index}")
        os.makedirs(stage, exist_ok=True)
        staging.append(stage)
    return hidden, keep, staging
