"""`core` stays headless and cheap to import: no UI libraries, no TensorFlow at import time."""

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import core
    for info in pkgutil.walk_packages(core.__path__, "core."):
        importlib.import_module(info.name)
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"textual", "rich", "tui", "tensorflow", "keras"})
    print(",".join(heavy))
    """
)


def test_importing_every_core_module_loads_no_ui_and_no_tensorflow():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core pulled in: {result.stdout.strip()}"


def test_cli_help_lists_subcommands_without_tensorflow():
    code = "import sys; from core.cli import main; main(['--help'])"
    result = subprocess.run([sys.executable, "-c", code + "\n"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "COMMAND" in result.stdout
