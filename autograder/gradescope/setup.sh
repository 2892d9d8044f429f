#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (network available).
# It installs Python 3.11 and the pinned packages into /opt/hw6-venv, which the unprivileged
# sandbox user can run, and creates that user.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends python3.11 python3.11-venv
python3.11 -m venv /opt/hw6-venv
/opt/hw6-venv/bin/pip install --no-cache-dir --upgrade pip==24.3.1
/opt/hw6-venv/bin/pip install --no-cache-dir -r /autograder/source/requirements.lock

# Student code runs as this user, which cannot read /autograder (see run_autograder).
id -u student >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin student

# Warm the caches (matplotlib's font cache, TensorFlow's first import) so grading starts fast.
/opt/hw6-venv/bin/python -c "import matplotlib.pyplot, tensorflow" >/dev/null 2>&1 || true
