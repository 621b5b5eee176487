"""A fresh machine: the README's two commands, setup.sh's choices about apt and sudo, and the refusal of a
non-editable install. setup.sh runs with --dry-run against stand-ins for dpkg-query, id and sudo, so these
tests change nothing on this machine; CI runs the real thing (.ci/run)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.data.synth_mbrola import MBROLA_VOICES

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The shell blocks of the README's "Two commands" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_readme_has_two_commands_and_ci_runs_the_test_command_verbatim():
    commands = readme_commands()
    assert len(commands) == 2 and all("\n" not in command for command in commands)
    setup_and_train, setup_and_test = commands
    assert setup_and_train.startswith("./setup.sh && ")
    assert setup_and_test.startswith("./setup.sh dev && ") and "pytest" in setup_and_test
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert setup_and_test in ci_lines


def test_the_scripts_are_executable_bash():
    for script in (ROOT / "setup.sh", ROOT / ".ci" / "run"):
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)


# --- setup.sh's decisions ---------------------------------------------------------------------

# The packages of every voice the MBROLA engine speaks with, so setup.sh installs exactly what it needs.
MBROLA = "espeak-ng mbrola " + " ".join(f"mbrola-{db}" for db in MBROLA_VOICES.values())


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def dry_run(
    tmp_path: Path, *args: str, uid: int, sudo: bool, installed: set[str]
) -> subprocess.CompletedProcess[str]:
    """setup.sh --dry-run in an empty folder, seeing only stand-ins and the few tools it needs."""
    work = tmp_path / "checkout"
    work.mkdir()
    shutil.copy(ROOT / "setup.sh", work)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    _stub(bin_dir, "python3", f'exec "{sys.executable}" "$@"')
    _stub(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}')
    _stub(bin_dir, "apt-get", "echo apt-get must not run in a dry run >&2; exit 99")
    installed_list = " ".join(sorted(installed))
    _stub(
        bin_dir,
        "dpkg-query",
        f'for p in {installed_list}; do [ "$p" = "$3" ] && printf "install ok installed" && exit 0; done; exit 1',
    )
    if sudo:
        _stub(bin_dir, "sudo", "echo sudo must not run in a dry run >&2; exit 99")
    return subprocess.run(
        [str(bin_dir / "bash"), str(work / "setup.sh"), *args, "--dry-run"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_as_root_missing_packages_are_installed_with_apt(tmp_path):
    result = dry_run(tmp_path, uid=0, sudo=False, installed=set())
    assert result.returncode == 0, result.stderr
    assert "+ apt-get update -qq" in result.stdout
    assert f"apt-get install -y -qq libportaudio2 libsndfile1 {MBROLA}\n" in result.stdout
    assert "sudo" not in result.stdout
    assert "+ python3 -m venv .venv" in result.stdout
    assert "+ .venv/bin/python -m pip install -q --disable-pip-version-check -e .\n" in result.stdout


def test_a_user_with_sudo_gets_sudo_and_dev_adds_the_compilers(tmp_path):
    result = dry_run(tmp_path, "dev", uid=1000, sudo=True, installed={"libportaudio2"})
    assert result.returncode == 0, result.stderr
    assert "+ sudo apt-get update -qq" in result.stdout
    install = next(line for line in result.stdout.splitlines() if "apt-get install" in line)
    assert install.startswith("+ sudo env DEBIAN_FRONTEND=noninteractive apt-get install")
    assert {"libsndfile1", "g++", "make", "gcc-arm-none-eabi", "arduino-builder"} <= set(install.split())
    assert "libportaudio2" not in install  # already there
    assert "-e .[dev]\n" in result.stdout


def test_a_user_without_sudo_is_told_what_to_ask_for(tmp_path):
    result = dry_run(tmp_path, uid=1000, sudo=False, installed={"libportaudio2"})
    assert result.returncode == 1
    assert "no sudo" in result.stderr
    assert f"apt-get install -y libsndfile1 {MBROLA}" in result.stderr
    assert "+ " not in result.stdout  # nothing was attempted


def test_nothing_missing_means_no_apt_at_all(tmp_path):
    everything = {
        "libportaudio2",
        "libsndfile1",
        "g++",
        "make",
        "gcc-arm-none-eabi",
        "python3-venv",
        *MBROLA.split(),
    }
    everything |= {"libnewlib-arm-none-eabi", "libstdc++-arm-none-eabi-newlib", "arduino-builder"}
    result = dry_run(tmp_path, "dev", uid=1000, sudo=False, installed=everything)
    assert result.returncode == 0, result.stderr
    assert "apt-get" not in result.stdout
    assert "+ python3 -m venv .venv" in result.stdout


def test_unknown_arguments_are_refused(tmp_path):
    result = dry_run(tmp_path, "--everything", uid=0, sudo=False, installed=set())
    assert result.returncode == 2 and "usage" in result.stderr


# --- packaging ----------------------------------------------------------------------------------


def test_the_build_backend_is_the_editable_only_wrapper():
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert (build["build-backend"], build["backend-path"]) == ("editable_only", ["build_backend"])


def test_a_non_editable_install_is_refused_with_what_to_do(tmp_path):
    pytest.importorskip("setuptools", reason="pip builds wakebench with setuptools")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "installs editable only" in result.stdout + result.stderr
    assert "pip install -e ." in result.stdout + result.stderr
    assert not list(tmp_path.glob("*.whl"))
