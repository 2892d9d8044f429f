#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (network available).
# It installs Python and the pinned packages into /opt/hw6-venv, which the unprivileged sandbox
# user can run, and creates that user.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Python 3.11 where the image packages it (Ubuntu 22.04), else the image's python3 if TensorFlow
# 2.21 and numpy 2.4 support it (3.11-3.13: Ubuntu 24.04, Debian 12 and 13); Ubuntu 20.04 has neither.
apt-get update
python=python3.11
apt-cache policy python3.11-venv | grep -q 'Candidate: [0-9]' || python=python3
apt-get install -y --no-install-recommends "$python" "$python-venv"
if ! "$python" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'; then
  echo "setup.sh: $("$python" --version 2>&1) is too old or too new for TensorFlow 2.21 (needs 3.11-3.13)." \
       "Choose the Ubuntu 22.04 base image for this autograder." >&2
  exit 1
fi
"$python" -m venv /opt/hw6-venv
/opt/hw6-venv/bin/pip install --no-cache-dir --upgrade pip==24.3.1
/opt/hw6-venv/bin/pip install --no-cache-dir -r /autograder/source/requirements.lock

# Student code runs as this user, which cannot read /autograder (see run_autograder).
id -u student >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin student

# Warm the caches (matplotlib's font cache, TensorFlow's first import) so grading starts fast.
# A failure here means a broken install: better to fail the image build than every submission.
/opt/hw6-venv/bin/python -c "import matplotlib.pyplot, tensorflow" >/dev/null
