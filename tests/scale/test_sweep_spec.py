"""A sweep spec is checked before anything starts, and a bad one names the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ProjectConfig
from core.errors import ConfigError
from core.model.sweep_spec import apply_overrides, load_sweep_spec, parse_sweep_spec


def spec(search: dict, **tables) -> dict:
    return {"search": search, **tables}


def test_a_good_spec_loads_with_its_settings(tmp_path):
    path = tmp_path / "lr.toml"
    path.write_text(
        '[sweep]\ntrials = 3\nboard = "nano33ble"\n'
        '[base]\n"training.steps" = [300, 100]\n'
        '[search]\n"training.learning_rates" = { choice = [[0.001, 0.0001], [0.003, 0.0003]] }\n'
        '"recognizer.average_window_ms" = { grid = [200, 400] }\n'
    )
    loaded = load_sweep_spec(path)
    assert loaded.name == "lr"
    assert (loaded.trials, loaded.board) == (3, "nano33ble")
    assert loaded.search["recognizer.average_window_ms"].kind == "grid"
    assert loaded.base == {"training.steps": [300, 100]}


def test_unknown_config_key_is_named():
    with pytest.raises(ConfigError, match=r"'training\.modle'") as err:
        parse_sweep_spec(spec({"training.modle": {"choice": ["tiny_conv"]}}), "s")
    assert "model" in err.value.hint  # the settings it could have meant


def test_unknown_table_key_is_named():
    with pytest.raises(ConfigError, match=r"'trainig\.steps'"):
        parse_sweep_spec(spec({"trainig.steps": {"choice": [[10]]}}), "s")


def test_a_table_is_not_a_setting():
    with pytest.raises(ConfigError, match="single setting"):
        parse_sweep_spec(spec({"training": {"choice": [1]}}), "s")


def test_empty_search_space_is_refused():
    with pytest.raises(ConfigError, match="search space is empty"):
        parse_sweep_spec({"sweep": {"trials": 2}}, "s")


def test_unknown_distribution_and_bad_bounds_are_refused():
    with pytest.raises(ConfigError, match="unknown distribution 'normal'"):
        parse_sweep_spec(spec({"training.background_volume": {"normal": [0, 1]}}), "s")
    with pytest.raises(ConfigError, match="low < high"):
        parse_sweep_spec(spec({"training.background_volume": {"uniform": [0.3, 0.1]}}), "s")


def test_a_value_of_the_wrong_type_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"training\.batch_size"):
        parse_sweep_spec(spec({"training.batch_size": {"choice": [50, "many"]}}), "s")


def test_unknown_sweep_setting_is_refused():
    with pytest.raises(ConfigError, match=r"sweep\.trails"):
        parse_sweep_spec(spec({"training.seed": {"choice": [1, 2]}}, sweep={"trails": 2}), "s")


def test_overrides_set_nested_keys():
    config = apply_overrides(
        ProjectConfig(), {"training.model": "tiny_conv", "recognizer.suppression_ms": 900}
    )
    assert config.recognizer.suppression_ms == 900
    assert config.training.model == "tiny_conv"


def test_without_ray_the_cli_says_how_to_install_it(tmp_path):
    # A `ray` package that cannot be imported stands for a machine without the [scale] extra.
    fake = tmp_path / "no_ray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    spec_file = tmp_path / "s.toml"
    spec_file.write_text('[search]\n"training.seed" = { choice = [1, 2] }\n')
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "tui.launch", "sweep", str(spec_file)],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{fake.parent}:{root}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Ray Tune is not installed" in result.stderr
    assert 'pip install -e ".[scale]"' in result.stderr


def test_the_shipped_default_spec_loads():
    root = Path(__file__).resolve().parents[2]
    spec = load_sweep_spec(root / "assets" / "sweeps" / "default.toml")
    assert spec.search and spec.board == "edgebadge"
