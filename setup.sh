#!/usr/bin/env bash
# Set up wakebench in this checkout: the system libraries (apt), a virtual environment in .venv, and
# wakebench installed into it (editable). Safe to run again; it only does what is missing.
#   ./setup.sh            what the app and the command line need
#   ./setup.sh dev        also what the tests need: compilers for the firmware parts, pytest, the linters
#   ./setup.sh --dry-run  say what would be done, change nothing (also: ./setup.sh dev --dry-run)
# A virtual environment because Debian 12 and Ubuntu 24.04 refuse `pip install` into the system Python (PEP 668).
set -euo pipefail
cd "$(dirname "$0")"

dev=0
dry_run=0
for arg in "$@"; do
  case "$arg" in
    dev) dev=1 ;;
    --dry-run) dry_run=1 ;;
    *) echo "usage: ./setup.sh [dev] [--dry-run]" >&2; exit 2 ;;
  esac
done

# libportaudio2: the microphone (sounddevice); libsndfile1: audio files (soundfile; its wheels carry a copy too);
# espeak-ng, mbrola, mbrola-*: the MBROLA voices of the synthetic data set (Debian non-free, Ubuntu multiverse).
mbrola_packages=(espeak-ng mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1
  mbrola-af1 mbrola-de1 mbrola-de2 mbrola-de3 mbrola-de4 mbrola-de5 mbrola-de6 mbrola-fr1 mbrola-fr4
  mbrola-gr2 mbrola-hu1 mbrola-nl2 mbrola-pl1 mbrola-ro1 mbrola-sw1 mbrola-sw2)
packages=(libportaudio2 libsndfile1 "${mbrola_packages[@]}")
if [ "$dev" = 1 ]; then
  # Host and Cortex-M builds of the firmware parts, and the offline sketch build (tests/firmware).
  packages+=(g++ make gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib arduino-builder)
fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  packages+=(python3-venv)  # Debian ships venv's pip bootstrap separately
fi

run() {
  echo "+ $*"
  if [ "$dry_run" = 0 ]; then "$@"; fi
}

# MBROLA is in Debian's non-free component, which a default Debian install leaves out: add it (Ubuntu's
# multiverse is usually enabled already; other systems are left alone).
enable_non_free() {
  [ -r /etc/os-release ] || return 0
  [ "$(. /etc/os-release && echo "$ID")" = debian ] || return 0
  if grep -rqsE "(^|[[:space:]])non-free([[:space:]]|$)" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  local codename
  codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  run "${as_root[@]}" sh -c "printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\nSuites: $codename\\nComponents: contrib non-free\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' >/etc/apt/sources.list.d/wakebench-non-free.sources"
}

# --- system packages -------------------------------------------------------------------------
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      as_root=()
    elif command -v sudo >/dev/null 2>&1; then
      as_root=(sudo)
    else
      echo "setup.sh: these system packages are missing: ${missing[*]}" >&2
      echo "  you are not root and there is no sudo; ask an administrator to run:" >&2
      echo "  apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    if [[ " ${missing[*]} " == *" mbrola"* ]]; then enable_non_free; fi
    run "${as_root[@]}" apt-get update -qq
    run "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
else
  echo "setup.sh: no apt here; install these (or your system's equivalents) yourself: ${packages[*]}" >&2
fi

# --- Python ----------------------------------------------------------------------------------
if ! python3 -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null; then
  echo "setup.sh: wakebench needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  run python3 -m venv .venv
fi
extras=""
if [ "$dev" = 1 ]; then extras="[dev]"; fi
echo "Installing wakebench$extras into .venv (TensorFlow is large: a few minutes the first time)"
run .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
if [ "$dry_run" = 0 ]; then
  echo "Done. Run .venv/bin/wakebench, or 'source .venv/bin/activate' first to put wakebench on your PATH."
fi
