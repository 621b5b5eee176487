"""`wakebench export RUN --firmware-dir DIR` / core.export.install_firmware_files: the run's generated
C files land in the sketch folder unchanged, nothing else there is touched, and wrong folders or runs
are refused with a clear error before anything is written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.board.firmware_files import GENERATED_FILES, SKETCH_FILE
from core.board.profiles import SKETCH_DIR
from core.cli import main
from core.errors import ExportError
from core.model.export import install_firmware_files
from core.model.runs import RunDir
from tests.training.training_helpers import json_lines


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def sketch(tmp_path) -> Path:
    """A copy of the real sketch folder (firmware/wakebench)."""
    return Path(shutil.copytree(SKETCH_DIR, tmp_path / "wakebench"))


@pytest.fixture
def run_copy(exported, tmp_path) -> RunDir:
    """A copy of the session's exported run, free to re-export or damage."""
    run, _ = exported
    return RunDir.open(shutil.copytree(run.path, tmp_path / "run"))


def test_install_writes_the_runs_generated_files_and_nothing_else(exported, sketch):
    run, report = exported
    before = _files(sketch)
    written = install_firmware_files(run, sketch)

    assert sorted(p.name for p in written) == sorted(GENERATED_FILES)
    after = _files(sketch)
    assert sorted(after) == sorted(before)  # no new files, no temporary files left behind
    for name in GENERATED_FILES:
        assert after[name] == (run.path / name).read_bytes(), name
    for name in ("model_data.cpp", "model_settings.h"):  # model_data.h is the same for every model
        assert after[name] != before[name], f"{name} still holds the committed default model"
    assert {n: b for n, b in after.items() if n not in GENERATED_FILES} == {
        n: b for n, b in before.items() if n not in GENERATED_FILES
    }
    assert f'kModelSha8[] = "{report.model_sha8}"' in (sketch / "model_settings.h").read_text()


def test_cli_export_with_firmware_dir_exports_then_installs(run_copy, sketch, capfd):
    code = main(["export", str(run_copy.path), "--firmware-dir", str(sketch), "--json"])
    out, err = capfd.readouterr()
    assert code == 0, err
    lines = json_lines(out)
    report = lines[-1]
    assert report["event"] == "done" and report["model_sha8"] == run_copy.report.model_sha8
    assert any(
        line["event"] == "log" and f"installed into {sketch}" in line["message"] for line in lines[:-1]
    )
    for name in GENERATED_FILES:
        assert (sketch / name).read_bytes() == (run_copy.path / name).read_bytes(), name

    # Without --json: a readable summary naming the folder.
    assert main(["export", str(run_copy.path), "--firmware-dir", str(sketch)]) == 0
    assert f"installed model {report['model_sha8']} into {sketch}" in capfd.readouterr().out


def test_a_folder_that_is_not_the_sketch_is_refused_before_exporting(exported, tmp_path, capfd):
    run, _ = exported
    folder = tmp_path / "not_a_sketch"
    folder.mkdir()
    (folder / "model_settings.h").write_text("// someone's own file\n")
    report_mtime = run.report_path.stat().st_mtime_ns

    assert main(["export", str(run.path), "--firmware-dir", str(folder)]) == 1
    err = capfd.readouterr().err
    assert f"{folder}: not the wakebench sketch folder (no {SKETCH_FILE} in it)" in err
    assert "hint:" in err and "Traceback" not in err
    assert _files(folder) == {"model_settings.h": b"// someone's own file\n"}
    assert run.report_path.stat().st_mtime_ns == report_mtime  # refused before any export work

    with pytest.raises(ExportError, match="no such folder"):
        install_firmware_files(run, tmp_path / "missing")


def test_an_unexported_or_half_exported_run_is_refused(run_copy, sketch):
    before = _files(sketch)

    # report.json names another model than the C files hold (an export stopped between the two).
    report = json.loads(run_copy.report_path.read_text())
    run_copy.report_path.write_text(json.dumps({**report, "model_sha8": "0badf00d"}))
    with pytest.raises(
        ExportError, match=r"model_data\.cpp holds model .* report\.json describes model 0badf00d"
    ):
        install_firmware_files(run_copy, sketch)

    run_copy.report_path.unlink()
    with pytest.raises(ExportError, match="not exported yet") as raised:
        install_firmware_files(run_copy, sketch)
    assert "wakebench export" in raised.value.hint
    assert _files(sketch) == before
