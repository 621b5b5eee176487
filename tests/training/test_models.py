"""The registered architectures: each converts to full-int8, uses only the firmware's ops, fits its
budget in the TFLM interpreter, and trains + exports through the real pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import FeatureSettings
from core.model.architectures import build_model, model_names
from core.model.convert import check_model, convert_int8
from core.model.tflm import TflmModel

# (model bytes, arena bytes) each must stay within: the seed's budget, or the EdgeBadge's for
# wake_tc and ds_cnn.
BUDGETS = {
    "tiny_conv": (20_000, 16 * 1024),
    "wake_ds": (20_000, 16 * 1024),
    "wake_tc": (150 * 1024, 64 * 1024),
    "ds_cnn": (150 * 1024, 64 * 1024),
}


def test_every_registered_model_has_a_budget():
    assert set(model_names()) == set(BUDGETS)


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_model_converts_to_int8_with_firmware_ops_within_its_budget(name):
    features = FeatureSettings()
    model = build_model(name, features, 4, seed=0)
    representative = np.random.default_rng(0).uniform(0, 25, (20, 49, 40, 1)).astype(np.float32)
    model_bytes = convert_int8(model, representative, features)
    check_model(model_bytes, features, 4)  # raises on an op the firmware does not register
    tflm = TflmModel(model_bytes)
    flash, arena = BUDGETS[name]
    assert len(model_bytes) <= flash and tflm.arena_bytes <= arena
    scores = tflm.scores(np.full((49, 40), 300, np.uint16))
    assert scores.shape == (4,) and 250 <= scores.sum() <= 262


def test_a_depthwise_model_trains_and_exports(tmp_path):
    from core.model.export import export_run
    from core.model.train import train
    from tests.training.training_helpers import make_project, replace_training, tiny_config

    config = replace_training(
        tiny_config(), model="wake_ds", steps=[60], learning_rates=[0.003], eval_every=60, checkpoint_every=60
    )
    project = make_project(tmp_path / "p", config)
    result = train(config, project)
    report = export_run(result.run_dir)
    assert "DEPTHWISE_CONV_2D" in report.ops and "AVERAGE_POOL_2D" in report.ops
    assert report.model_bytes <= 20_000 and report.arena_bytes <= 16 * 1024
    assert report.int8_accuracy is not None
