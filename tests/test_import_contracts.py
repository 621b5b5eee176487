"""The import contracts in pyproject.toml ([tool.importlinter]) hold, so a broken one fails pytest, not only CI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is a dev dependency: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH=root: grimp must find the packages of `root`, not those of an editable install elsewhere.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", LINT], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_every_import_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_function_level_import_breaks_a_contract(tmp_path):
    # The contracts are not vacuous: a lazy import of a UI library or TensorFlow inside core is caught.
    for name in ("core", "tui"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "core" / "board" / "protocol.py").open("a") as module:
        module.write("\n\ndef _lazy():\n    import tensorflow\n    import textual\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "core.board.protocol -> tensorflow" in result.stdout
    assert "core.board.protocol -> textual" in result.stdout
