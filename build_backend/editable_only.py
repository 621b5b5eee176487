"""The build backend of wakebench: setuptools, refusing to build a wheel for a non-editable install.

wakebench works on files of its own checkout: the board profiles in assets/boards, and the Arduino sketch in
firmware/wakebench, which `wakebench export --firmware-dir` writes the model into and the flash commands build.
A wheel would put a read-only second copy of that sketch into site-packages, beside the one the user edits,
so `pip install .` stops here with what to do instead. Editable installs (`pip install -e .`, ./setup.sh)
and source archives are built by setuptools unchanged.
"""

from __future__ import annotations

from typing import Any

from setuptools.build_meta import *  # noqa: F403  (every hook as setuptools has it, then build_wheel overridden)

REFUSAL = """\
wakebench installs editable only. It reads its board profiles (assets/boards) and builds the firmware
sketch (firmware/wakebench) from its own checkout, and `wakebench export` writes models into that sketch;
a copy in site-packages would be a second, stale sketch. Instead, in the checkout:
    ./setup.sh            (a virtual environment in .venv with wakebench in it), or
    pip install -e .      (in a virtual environment of your own)
"""


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    raise SystemExit(REFUSAL)
