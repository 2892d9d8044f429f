"""A real one-node Slurm cluster for the tests: munge, MariaDB, slurmdbd, slurmctld and slurmd,
each started in the foreground under a private folder and stopped by its process id (and sent
SIGTERM if the tests themselves die).

    with SlurmCluster(tmp_path) as cluster:          # cluster.env has SLURM_CONF
        subprocess.run(["sbatch", ...], env=cluster.env)

The node is `localhost` with 2 CPUs. Accounting (slurmdbd on MariaDB) is there because submitit
reads job states with sacct, as real clusters answer it. Memory is enforced as clusters do, with
cgroups (task/cgroup, ConstrainRAMSpace): a job over its --mem ends OUT_OF_MEMORY. The limits
are short so that faults show in seconds: KillWait=10, OverTimeLimit=0.
"""
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd")
START_SECONDS = 60


def missing():
    """The programs this cluster needs that are not installed (by name)."""
    return [name for name in DAEMONS + ("sbatch", "sacct", "scontrol", "sacctmgr")
            if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """In a daemon's child process: get SIGTERM when the tests die, even by SIGKILL (Linux)."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def program(name):
    return shutil.which(name) or str(Path("/usr/sbin", name))


SLURM_CONF = """\
ClusterName=hw6test
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={root}/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
MpiDefault=none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort={dbd_port}
AccountingStoragePass={root}/munge.socket
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
KillWait=10
OverTimeLimit=0
MinJobAge=300
SlurmdTimeout=30
ReturnToService=2
JobRequeue=0
NodeName=localhost CPUs=2 RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""

CGROUP_CONF = """\
CgroupPlugin=autodetect
ConstrainRAMSpace=yes
"""

SLURMDBD_CONF = """\
AuthType=auth/munge
AuthInfo=socket={root}/munge.socket
DbdHost=localhost
DbdPort={dbd_port}
SlurmUser=root
PidFile={root}/slurmdbd.pid
LogFile={root}/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={db_port}
StorageUser=root
StorageLoc=hw6test_acct
"""


class SlurmCluster:
    """The daemons, started by start() and stopped (each one, by its pid) by stop()."""

    def __init__(self, root, memory_mb=9000):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.procs = []  # (name, Popen), in start order
        self.ports = {k: free_port() for k in ("ctld_port", "slurmd_port", "dbd_port", "db_port")}
        self.values = dict(self.ports, root=self.root, memory_mb=memory_mb)
        self.env = dict(os.environ, SLURM_CONF=str(self.root / "slurm.conf"))

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def spawn(self, name, args):
        log = open(self.root / f"{name}.out", "w")
        proc = subprocess.Popen([program(args[0]), *args[1:]], stdout=log, stderr=subprocess.STDOUT,
                                env=self.env, cwd=self.root, preexec_fn=die_with_parent)
        self.procs.append((name, proc))
        return proc

    def wait_for(self, what, ready, seconds=START_SECONDS):
        deadline = time.monotonic() + seconds
        while not ready():
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited ({proc.returncode}) while waiting for {what}:\n"
                                       + self.tail(name))
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}:\n" + "\n".join(self.tail(n) for n, _ in self.procs))
            time.sleep(0.2)

    def tail(self, name, lines=20):
        texts = []
        for path in (self.root / f"{name}.out", self.root / f"{name}.log"):
            if path.exists():
                texts += path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {name}\n" + "\n".join(texts)

    def run(self, *args, check=True, timeout=60):
        return subprocess.run([program(args[0]), *map(str, args[1:])], env=self.env, capture_output=True,
                              text=True, check=check, timeout=timeout)

    def ok(self, *args):
        try:
            return self.run(*args, check=False, timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def start(self):
        root = self.root
        for folder in ("state", "spool", "db", "munge"):
            (root / folder).mkdir(exist_ok=True)
        (root / "slurm.conf").write_text(SLURM_CONF.format(**self.values))
        (root / "cgroup.conf").write_text(CGROUP_CONF)
        dbd_conf = root / "slurmdbd.conf"
        dbd_conf.write_text(SLURMDBD_CONF.format(**self.values))
        dbd_conf.chmod(0o600)  # slurmdbd refuses a config that others can read
        key = root / "munge" / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)

        self.spawn("munged", ["munged", "--foreground", "--force", f"--socket={root}/munge.socket",
                              f"--key-file={key}", f"--pid-file={root}/munge/munged.pid",
                              f"--log-file={root}/munged.log", f"--seed-file={root}/munge/seed"])
        self.wait_for("munged", lambda: (root / "munge.socket").exists())

        db = root / "db"
        subprocess.run([program("mariadb-install-db"), "--no-defaults", f"--datadir={db}", "--user=root",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=120)
        self.spawn("mariadbd", ["mariadbd", "--no-defaults", f"--datadir={db}", f"--socket={root}/mysql.sock",
                                f"--port={self.ports['db_port']}", "--bind-address=127.0.0.1", "--user=root",
                                "--skip-grant-tables", "--innodb-buffer-pool-size=32M"])
        self.wait_for("MariaDB", lambda: port_open(self.ports["db_port"]))

        self.spawn("slurmdbd", ["slurmdbd", "-D"])  # reads slurmdbd.conf beside $SLURM_CONF
        self.wait_for("slurmdbd", lambda: port_open(self.ports["dbd_port"]))
        self.wait_for("the accounting database", lambda: self.ok("sacctmgr", "-i", "add", "cluster", "hw6test")
                      or "hw6test" in self.run("sacctmgr", "-n", "list", "cluster", check=False).stdout)

        self.spawn("slurmctld", ["slurmctld", "-D", "-i"])
        self.wait_for("slurmctld", lambda: self.ok("scontrol", "ping"))
        self.spawn("slurmd", ["slurmd", "-D", "-N", "localhost"])
        self.wait_for("the node to be idle", self.node_idle)

    def node_idle(self):
        """Whether the node takes jobs; a node set down is resumed (slurmd may re-register it first)."""
        state = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
        if state.startswith("down") or state.startswith("drain"):
            self.run("scontrol", "update", "nodename=localhost", "state=resume", check=False)
        return state == "idle"

    def stop(self, seconds=20):
        """Cancel the jobs left (a test that failed midway), then stop every daemon started, the
        last first; return their names and exit codes."""
        if any(name == "slurmctld" and proc.poll() is None for name, proc in self.procs):
            self.run("scancel", "--partition=debug", check=False)
            deadline = time.monotonic() + 20  # KillWait, then the job's processes are gone
            while self.run("squeue", "--noheader", check=False).stdout.strip() and time.monotonic() < deadline:
                time.sleep(0.5)
        codes = []
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(seconds)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            codes.append((name, proc.returncode))
        return codes


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
