"""The portable firmware parts compile for the boards' Cortex-M4F (sizes are printed by bench/firmware_size.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from host_build import make


@pytest.mark.skipif(
    shutil.which("arm-none-eabi-g++") is None,
    reason="arm-none-eabi-g++ not installed (apt-get install gcc-arm-none-eabi)",
)
def test_portable_parts_compile_for_cortex_m4f(tmp_path):
    make(tmp_path, "arm")
    library = tmp_path / "arm" / "libwakebench_portable.a"
    assert library.is_file()
    sizes = subprocess.run(
        ["arm-none-eabi-size", "-t", str(library)], capture_output=True, text=True, check=True
    )
    total_text = int(sizes.stdout.strip().splitlines()[-1].split()[0])
    assert total_text > 0
    # Built for the FPU the boards have (hard-float ABI), not soft-float.
    attributes = subprocess.run(
        ["arm-none-eabi-readelf", "-A", str(tmp_path / "arm" / "feature_ring_buffer.o")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Tag_CPU_arch: v7E-M" in attributes
    assert "Tag_FP_arch: VFPv4-D16" in attributes
    assert "Tag_ABI_VFP_args: VFP registers" in attributes
