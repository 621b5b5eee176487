"""The app's first frame imports only what it draws (bench/tui_first_paint.py measures the time; this keeps
the heavy imports out of it): numpy, plotext and the audio and serial stacks load when a pane first needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "plotext", "textual_plotext", "sounddevice", "soundfile", "serial", "tensorflow", "keras")


def test_importing_the_app_leaves_heavy_modules_for_later():
    code = (
        "import sys, tui.app; "
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
