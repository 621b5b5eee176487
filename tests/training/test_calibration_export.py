"""Export calibrates the recognizer on the validation split and writes the choice everywhere the
board and the PC read it."""

from __future__ import annotations

import re

from core.model.calibrate import read_calibration


def test_export_writes_the_calibrated_threshold_and_window(exported):
    run, report = exported
    calibration = read_calibration(run.path)
    assert calibration is not None and report.calibration == calibration.to_dict()
    assert calibration.keyword_clips > 0 and calibration.negative_hours > 0
    recognizer = run.config.recognizer  # the run's config.json, which detect, listen and the app use
    assert recognizer.average_window_ms == calibration.average_window_ms
    assert recognizer.detection_threshold == calibration.detection_threshold
    assert report.recognizer["detection_threshold"] == calibration.detection_threshold
    settings = (run.path / "model_settings.h").read_text()
    assert re.search(rf"kAverageWindowMs = {calibration.average_window_ms};", settings)
    assert re.search(rf"kDetectionThreshold = {calibration.detection_threshold};", settings)
    # The curve has a point per threshold, and the chosen point is on it.
    points = {p["threshold"]: p for p in calibration.curve}
    chosen = points[calibration.detection_threshold]
    assert chosen["frr"] == calibration.frr and chosen["fa_per_hour"] == calibration.fa_per_hour
    if calibration.met:
        assert calibration.fa_per_hour <= calibration.target_fa_per_hour
