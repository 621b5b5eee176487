"""recognizer.inference_every_frames in the project file and in saved run configs: written with its
comment, read back, defaulted for files saved before it existed, and refused below 1 naming the file."""

from __future__ import annotations

import json

import pytest

from core.config import (
    ProjectConfig,
    RecognizerSettings,
    config_from_dict,
    load_config,
    render_config,
    save_config,
)
from core.errors import ConfigError, TrainingError
from core.model.runs import RunDir


def test_the_project_file_carries_the_cadence_with_its_reason(tmp_path):
    config = ProjectConfig(recognizer=RecognizerSettings(inference_every_frames=3))
    text = render_config(config)
    assert "inference_every_frames = 3" in text
    comment = text.split("inference_every_frames = 3")[0].splitlines()[-1]
    assert (
        comment.startswith("# Run the model once every this many new feature frames") and "board" in comment
    )
    save_config(config, tmp_path / "wakebench.toml")
    assert load_config(tmp_path / "wakebench.toml").recognizer.inference_every_frames == 3
    assert RecognizerSettings().inference_every_frames == 7


def test_files_saved_before_the_setting_existed_still_load_with_the_default(tmp_path):
    old_toml = render_config(ProjectConfig()).replace("inference_every_frames = 7\n", "")
    assert "inference_every_frames" not in old_toml
    (tmp_path / "wakebench.toml").write_text(old_toml)
    assert load_config(tmp_path / "wakebench.toml") == ProjectConfig()

    saved = ProjectConfig().to_dict()
    del saved["recognizer"]["inference_every_frames"]
    assert config_from_dict(saved).recognizer.inference_every_frames == 7


@pytest.mark.parametrize("value", [0, -2])
def test_a_cadence_below_one_is_refused_naming_the_file_and_key(tmp_path, value):
    text = render_config(ProjectConfig()).replace(
        "inference_every_frames = 7", f"inference_every_frames = {value}"
    )
    (tmp_path / "wakebench.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "wakebench.toml")
    assert info.value.message == (
        f"wakebench.toml: recognizer.inference_every_frames must be at least 1, got {value}"
    )
    assert "[recognizer]" in info.value.hint

    run = tmp_path / "run"
    run.mkdir()
    saved = ProjectConfig().to_dict()
    saved["recognizer"]["inference_every_frames"] = value
    (run / "config.json").write_text(json.dumps(saved))
    with pytest.raises(TrainingError, match="inference_every_frames must be at least 1") as info:
        _ = RunDir(run).config
    assert str(run / "config.json") in info.value.message


def test_a_cadence_of_the_wrong_type_is_refused(tmp_path):
    text = render_config(ProjectConfig()).replace(
        "inference_every_frames = 7", 'inference_every_frames = "7"'
    )
    (tmp_path / "wakebench.toml").write_text(text)
    with pytest.raises(ConfigError, match="recognizer.inference_every_frames must be int"):
        load_config(tmp_path / "wakebench.toml")
