"""Issue 13 item 8 — the training feature bank is computed with the frontend of one batch overlapping the
augmentation of the next (core.features.bank); the rows must not depend on that, so the cache stays
deterministic."""

from __future__ import annotations

import dataclasses

import numpy as np

from core.config import FeatureSettings, TrainingSettings
from core.events import Progress
from core.features import bank
from core.features.augment import AugmentSettings
from core.features.cache import compute_clip_features, request_for
from tests.audio_factory import noise, tone, write_wav

RATE = 16000


def test_overlapped_and_serial_computation_give_identical_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(bank, "BATCH_CLIPS", 3)  # several batches, so the overlap really happens
    requests = [request_for(None, "training:0")]
    for i in range(7):
        clip = np.zeros(RATE, np.float32)
        clip[5000:9000] = tone(300.0 + 150 * i, 0.25)
        requests.append(request_for(write_wav(tmp_path / "stop" / f"s{i}_nohash_0.wav", clip)))
    requests.append(request_for(tmp_path / "stop" / "gone_nohash_0.wav"))  # unreadable: skipped
    background = [write_wav(tmp_path / "bg.wav", noise("pink", 3.0))]
    augment = dataclasses.replace(AugmentSettings.from_training(TrainingSettings()), rir_count=4)

    progress: list[tuple[int, int]] = []

    def on_event(event: object) -> None:
        if isinstance(event, Progress):
            progress.append((event.done, event.total))

    def rows(overlap: bool) -> tuple[np.ndarray, np.ndarray, int]:
        got = compute_clip_features(
            requests,
            FeatureSettings(),
            background,
            augment=augment,
            variants=3,
            seed=1,
            overlap=overlap,
            on_event=on_event,
        )
        return got.features, got.rows, len(got.skipped)

    overlapped, serial = rows(True), rows(False)
    assert overlapped[0].shape == (8, 3, FeatureSettings().frames, FeatureSettings().channels)
    assert list(overlapped[1]) == list(serial[1]) == [0, 1, 2, 3, 4, 5, 6, 7, -1]
    assert overlapped[2] == serial[2] == 1
    assert np.array_equal(overlapped[0], serial[0])
    # Progress counts a batch once its features are made: 0, then after each of the 3 batches.
    assert progress == [(0, 9), (3, 9), (6, 9), (9, 9)] * 2
    # ... and the variants really differ (the comparison is not between constant rows).
    assert not np.array_equal(overlapped[0][1, 0], overlapped[0][1, 1])
    assert not np.array_equal(overlapped[0][1], overlapped[0][2])
