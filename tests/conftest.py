"""Shared fixtures. The costly one, `graded_samples`, grades every sample submission once per
test session (with `grade-all --jobs 2`), so each distinct model is trained once per CI run and
its results serve every test that needs them."""
import fnmatch
import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import samples  # noqa: E402
from autograder.config import load_config  # noqa: E402

QUICK = ROOT / "tests" / "fixtures" / "quick.toml"
NETWORK_PORT = 47391  # the hostile-network sample tries to connect here
SELECT_ENV = "HW6_SAMPLES"  # e.g. "reference-parts,latent-*": grade only these samples (for a quick run)


def run_module(*args, cwd=ROOT, env=None, timeout=3600):
    """Run `python -m ...args` from the repo; return the CompletedProcess (text output)."""
    return subprocess.run([sys.executable, "-m", *map(str, args)], cwd=cwd, env=env, timeout=timeout,
                          capture_output=True, text=True)


def load_module(path, name):
    """Import a file under a unique module name (solutions/ and hw6/code/ both hold vae.py)."""
    folder = str(Path(path).parent)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(folder)


def item_scores(results):
    return {t["number"]: t.get("score", 0) for t in results["tests"] if "number" in t}


class Markup(HTMLParser):
    """The tags, attributes and text of a page, as a browser's parser sees them."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def problems(self):
        """What would run or load in a browser: scripts, event handlers, images that are not our PNGs."""
        found = []
        for tag, attrs in self.tags:
            if tag in ("script", "iframe", "object", "embed", "link"):
                found.append(tag)
            found += [f"{tag} {name}" for name in attrs if name.startswith("on")]
            if tag == "img" and not attrs.get("src", "").startswith("data:image/png;base64,"):
                found.append(f"img src={attrs.get('src')!r}")
        return found


@pytest.fixture(scope="session")
def config():
    return load_config()


class GradedSamples(dict):
    """{sample name: results dict}, plus what the grading runs left behind to check.

    A sample left out by $HW6_SAMPLES skips the tests that need it."""
    groups: list  # [(folder, overlay or None, [sample names])]
    connections: list  # connections the hostile-network sample made to the listener
    files_before: dict  # sha256 of the grader's files before grading
    files_after: dict

    def __missing__(self, name):
        pytest.skip(f"sample {name} was not graded (HW6_SAMPLES={os.environ.get(SELECT_ENV)})")


def is_selected(name):
    """Whether sample `name` is graded in this session ($HW6_SAMPLES, when set, picks by pattern)."""
    selected = os.environ.get(SELECT_ENV)
    return not selected or any(fnmatch.fnmatch(name, p.strip()) for p in selected.split(","))


def grader_files():
    """sha256 of every file the grader is made of (the repo minus caches and the venv)."""
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", "dist"}
    return {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(ROOT.rglob("*")) if p.is_file() and not skip & set(p.relative_to(ROOT).parts)}


def listen(port, connections):
    """Accept connections on the host's loopback: the network sample must not reach it."""
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(0.5)

    def accept():
        while server.fileno() != -1:  # until the fixture closes it
            try:
                connections.append(server.accept()[1])
            except OSError:
                continue
    threading.Thread(target=accept, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def graded_samples(tmp_path_factory):
    """Every sample, graded by `grade-all --jobs 2` as configured (one run per config overlay)."""
    base = tmp_path_factory.mktemp("samples")
    by_overlay = {}
    for name in samples.names():
        if not is_selected(name):
            continue
        by_overlay.setdefault(samples.config_overlay(name), []).append(name)
    graded = GradedSamples()
    graded.groups, graded.connections = [], []
    graded.files_before = grader_files()
    names = [n for group in by_overlay.values() for n in group]
    server = listen(NETWORK_PORT, graded.connections) if "hostile-network" in names else None  # only it needs one
    try:
        for index, (overlay, names) in enumerate(by_overlay.items()):
            folder = base / f"group{index}"
            for name in names:
                samples.materialize(name, folder / name)
            args = ["autograder", "grade-all", folder, "--out", folder / "gradebook.csv", "--jobs", "2"]
            proc = run_module(*args, *(["--config", overlay] if overlay else []))
            assert proc.returncode == 0, proc.stdout + proc.stderr
            for name in names:
                graded[name] = json.loads((folder / f"{name}.results.json").read_text())
            graded.groups.append((folder, overlay, names))
    finally:
        if server:
            server.close()
    graded.files_after = grader_files()
    return graded


@pytest.fixture(scope="session")
def reference_results(graded_samples):
    return graded_samples["reference"]


@pytest.fixture
def quick_env():
    """Environment for a quick trial of the grader's mechanics (2 epochs on 2,048 images)."""
    return dict(os.environ, HW6_GRADER_CONFIG=str(QUICK))
