#!/usr/bin/env bash
# Make sure the system programs mediad needs are installed (Debian/Ubuntu).
#
#   bash scripts/ensure-system-deps.sh redis-server ffmpeg [aria2c curl ...]
#
# For each program not found on PATH, install its Debian package with apt-get:
# directly when root, via `sudo -n` when passwordless sudo works. Otherwise
# print what is missing and how to install it, and exit 1.
# Silent (exit 0) when everything is already present.
#
# Environment:
#   ENSURE_SYSTEM_DEPS_DRY_RUN=1   print the commands that would run instead of
#                                  running them (deliberately not MEDIAD_*: the
#                                  daemon rejects unknown MEDIAD_* variables)
set -euo pipefail

# program -> Debian package
pkg_for() {
  case "$1" in
    redis-server | redis-cli) echo redis-server ;;
    ffmpeg | ffprobe) echo ffmpeg ;;
    aria2c) echo aria2 ;;
    curl) echo curl ;;
    yt-dlp) echo yt-dlp ;;
    *) echo "$1" ;;
  esac
}

missing=()
pkgs=()
for prog in "$@"; do
  if command -v "$prog" >/dev/null 2>&1; then
    continue
  fi
  missing+=("$prog")
  pkg=$(pkg_for "$prog")
  dup=0
  for p in ${pkgs[@]+"${pkgs[@]}"}; do
    if [ "$p" = "$pkg" ]; then dup=1; break; fi
  done
  if [ "$dup" -eq 0 ]; then pkgs+=("$pkg"); fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

give_up() {
  echo "mediad needs: ${missing[*]}. Install them with: sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
}

dry_run=0
if [ "${ENSURE_SYSTEM_DEPS_DRY_RUN:-0}" = "1" ]; then dry_run=1; fi

if ! command -v apt-get >/dev/null 2>&1; then
  give_up
fi

# Decide how to become root.
sudo_cmd=()
if [ "${EUID:-$(id -u)}" -eq 0 ]; then
  :
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  sudo_cmd=(sudo -n)
else
  give_up
fi

run() {
  if [ "$dry_run" -eq 1 ]; then
    echo "[dry-run] $*" >&2
  else
    "$@"
  fi
}

echo "mediad: installing ${pkgs[*]} (for ${missing[*]})" >&2
if ! run ${sudo_cmd[@]+"${sudo_cmd[@]}"} apt-get update \
  || ! run ${sudo_cmd[@]+"${sudo_cmd[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y "${pkgs[@]}"; then
  give_up
fi

if [ "$dry_run" -eq 1 ]; then
  exit 0
fi

# Re-check: the package must really have provided the program.
still=()
for prog in "${missing[@]}"; do
  command -v "$prog" >/dev/null 2>&1 || still+=("$prog")
done
if [ "${#still[@]}" -ne 0 ]; then
  missing=("${still[@]}")
  give_up
fi
