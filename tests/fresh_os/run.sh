#!/usr/bin/env bash
# Install the Gradescope zip on a fresh Debian (setup.sh from scratch) and grade submissions there.
#
#   tests/fresh_os/run.sh --check          # exits 1, saying why, if this machine cannot run it
#   tests/fresh_os/run.sh ZIP OUT CASE...  # as root; tests/test_fresh_os.py calls it
#
# Each CASE is a folder with submission/ (laid out as /autograder/submission) and optionally
# overlay.toml (a config overlay, passed to run_autograder as $HW6_GRADER_CONFIG). It writes to
# OUT: setup.log, facts.txt (what the fresh system holds after setup and grading, key=value),
# freeze.txt (the venv's pip freeze --all) and, per case, NAME.log and NAME.results.json.
#
# The pristine root (debootstrap --variant=minbase) is made once per machine under
# $FRESH_OS_CACHE (default /var/cache/hw6-fresh-os); every run works in a fresh copy of it.
# $FRESH_OS_SUITE (default trixie, Debian stable) and $FRESH_OS_MIRROR (default: debootstrap's)
# choose the OS. Everything mounted is unmounted on exit, also after a failure.
set -Eeuo pipefail
trap 'echo "fresh_os: line $LINENO failed: $BASH_COMMAND" >&2' ERR

check() {
  [ "$(id -u)" = 0 ] || { echo "needs root (debootstrap, mount, chroot)"; return 1; }
  for tool in debootstrap unzip unshare chroot flock findmnt runuser; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install debootstrap unzip util-linux)"; return 1; }
  done
  # The same kinds of mount and namespace as below, in a throwaway mount namespace.
  local dir ok=0
  dir=$(mktemp -d)
  unshare --mount --pid --fork --mount-proc sh -c "mount --bind $dir $dir && mount --rbind /dev $dir" 2>/dev/null || ok=1
  rmdir "$dir"
  [ $ok = 0 ] || { echo "this machine allows no bind mounts or PID namespaces (a container without CAP_SYS_ADMIN?)"; return 1; }
}
if [ "${1:-}" = --check ]; then if check; then exit 0; else exit 1; fi; fi
[ $# -ge 3 ] || { echo "usage: $0 --check | ZIP OUT CASE..." >&2; exit 2; }
reason=$(check) || { echo "fresh_os: $reason" >&2; exit 2; }

zip=$(realpath "$1"); out=$(realpath -m "$2"); shift 2
suite=${FRESH_OS_SUITE:-trixie}
cache=${FRESH_OS_CACHE:-/var/cache/hw6-fresh-os}
pristine="$cache/$suite-minbase"
mkdir -p "$out" "$cache"
: > "$out/facts.txt"
fact() { echo "$1=$2" >> "$out/facts.txt"; }

# 1. The pristine root, once per machine: under a lock, and moved into place only when complete.
start=$SECONDS
(
  flock 9
  if [ ! -d "$pristine" ]; then
    rm -rf "$pristine.partial"
    debootstrap --variant=minbase "$suite" "$pristine.partial" ${FRESH_OS_MIRROR:+"$FRESH_OS_MIRROR"} > "$out/debootstrap.log" 2>&1 \
      || { tail -20 "$out/debootstrap.log" >&2; echo "fresh_os: debootstrap $suite failed" >&2; exit 1; }
    mv "$pristine.partial" "$pristine"
  fi
) 9> "$cache/lock"
fact debootstrap_seconds $((SECONDS - start))

# 2. A fresh copy, given what a container gets from its host: /dev, /sys, DNS, and /proc (its own,
#    with a PID namespace, in in_os). Removed on exit, but only once nothing is mounted in it.
root=$(mktemp -d /var/tmp/hw6-fresh-os.XXXXXX)
cleanup() {
  umount -R "$root" 2>/dev/null || true
  if findmnt -rn -o TARGET | grep -q "^$root\(/\|$\)"; then
    echo "fresh_os: $root is still mounted; left in place" >&2
  else
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp -a "$pristine/." "$root/"
mount --bind "$root" "$root" && mount --make-private "$root"  # / must be a mount point: the sandbox remounts it
for fs in dev sys; do
  mount --rbind "/$fs" "$root/$fs" && mount --make-rslave "$root/$fs"  # rslave: unmounting never reaches the host's
done
cp -L /etc/resolv.conf /etc/hosts "$root/etc/"
# A grader on the host kills every process of its sandbox user's uid, and it sees our PID namespace:
# keep the fresh OS's system users (useradd --system counts down from SYS_UID_MAX) below the host's.
printf 'SYS_UID_MAX 899\nSYS_GID_MAX 899\n' >> "$root/etc/login.defs"

# pip's configuration, so that pip reaches the package index the way the host's does (here: a CA
# bundle and a constraints file), with every file it names; and the host's own CAs, which
# update-ca-certificates keeps in that bundle when apt installs ca-certificates. Nothing else comes in.
for conf in /etc/pip.conf /etc/xdg/pip/pip.conf; do
  [ -f "$conf" ] || continue
  for file in "$conf" $(grep -oE '/[^[:space:]]+' "$conf"); do
    if [ -f "$file" ]; then mkdir -p "$root$(dirname "$file")" && cp -L "$file" "$root$file"; fi
  done
done
if [ -d /usr/local/share/ca-certificates ]; then cp -rL /usr/local/share/ca-certificates "$root/usr/local/share/"; fi

# Run a command in the fresh OS as root, as a container would: own PID namespace and /proc, an
# environment of its own (nothing of this shell's); all of it is killed if unshare is stopped.
in_os() {
  unshare --pid --fork --kill-child --mount-proc="$root/proc" chroot "$root" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# 3. Gradescope's steps: unpack the zip into /autograder/source, run setup.sh there as root.
mkdir -p "$root/autograder/source"
unzip -q "$zip" -d "$root/autograder/source"
start=$SECONDS
if ! in_os sh -c 'cd /autograder/source && bash ./setup.sh' > "$out/setup.log" 2>&1; then
  tail -30 "$out/setup.log" >&2
  echo "fresh_os: setup.sh failed on $suite (log: $out/setup.log)" >&2
  exit 1
fi
fact setup_seconds $((SECONDS - start))
fact os "$(. "$root/etc/os-release" && echo "$PRETTY_NAME")"
fact python "$(in_os /opt/hw6-venv/bin/python -c 'import platform; print(platform.python_version())' || true)"
fact student "$(grep '^student:' "$root/etc/passwd" | cut -d: -f3,7)"
fact font_cache "$(cd "$root/root/.cache/matplotlib" 2>/dev/null && ls fontlist-*.json || true)"
in_os /opt/hw6-venv/bin/pip freeze --all > "$out/freeze.txt"  # --all: also setuptools and wheel (hidden on 3.11)

# 4. Each submission, as Gradescope grades one: /autograder/submission in, run_autograder (copied
#    beside source/, as Gradescope does) as root, /autograder/results/results.json out.
cp "$root/autograder/source/run_autograder" "$root/autograder/run_autograder"
echo '{"id": 1, "users": [{"name": "Fresh OS check"}]}' > "$root/autograder/submission_metadata.json"  # as Gradescope's: the hostile samples look for it
for case in "$@"; do
  name=$(basename "$case")
  rm -rf "$root/autograder/submission" "$root/autograder/results" "$root/autograder/overlay.toml"
  cp -r "$case/submission" "$root/autograder/submission"
  overlay=()
  if [ -f "$case/overlay.toml" ]; then
    cp "$case/overlay.toml" "$root/autograder/overlay.toml"
    overlay=(HW6_GRADER_CONFIG=/autograder/overlay.toml)
  fi
  start=$SECONDS
  status=0
  in_os "${overlay[@]}" /autograder/run_autograder > "$out/$name.log" 2>&1 || status=$?
  fact "$name.exit" "$status"
  fact "$name.seconds" $((SECONDS - start))
  cp "$root/autograder/results/results.json" "$out/$name.results.json" 2>/dev/null || true
  # After run_autograder locked the grader's files: can the student user list them (it must not),
  # and can it run the venv's Python (it must, so a refusal above is the lock, not a broken user)?
  fact "$name.student_lists_source" "$(in_os runuser -u student -- ls /autograder/source > /dev/null 2>&1 && echo yes || echo no)"
  fact "$name.student_runs_python" "$(in_os runuser -u student -- /opt/hw6-venv/bin/python -c 'import numpy' > /dev/null 2>&1 && echo yes || echo no)"
done
