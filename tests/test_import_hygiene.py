"""`core` stays headless and cheap to import: no UI libraries, no TensorFlow at import time."""

import subprocess
import sys
import textwrap

HEAVY = ("textual", "rich", "tui", "tensorflow", "keras")

# Adapters over an optional third-party library, imported only by the command that needs it. That library's
# own imports are its business (Ray prints with rich), so they are checked apart, allowing just those.
ADAPTERS = {"core.model.sweep_ray": ("rich",)}

CHECK = textwrap.dedent(
    f"""
    import importlib, pkgutil, sys
    import core
    def heavy(allowed=()):
        return ",".join(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY} and m.split(".")[0] not in allowed))
    for info in pkgutil.walk_packages(core.__path__, "core."):
        if info.name not in {set(ADAPTERS)}:
            importlib.import_module(info.name)
    print(heavy())
    for name, allowed in {ADAPTERS}.items():
        try:
            importlib.import_module(name)
        except ImportError:  # the optional library is not installed
            continue
        print(name, heavy(allowed))
    """
)


def test_importing_every_core_module_loads_no_ui_and_no_tensorflow():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "", f"core pulled in: {lines[0]}"
    for line in lines[1:]:
        name, _, pulled = line.partition(" ")
        assert pulled == "", f"{name} pulled in: {pulled}"


def test_cli_help_lists_subcommands_without_tensorflow():
    code = "import sys; from core.cli import main; main(['--help'])"
    result = subprocess.run([sys.executable, "-c", code + "\n"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "COMMAND" in result.stdout
