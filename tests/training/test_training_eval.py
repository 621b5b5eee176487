"""Evaluation of an exported run on any Speech Commands layout folder."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError, ExportError
from core.model.evaluate import evaluate_folder
from core.model.runs import RunDir
from tests.audio_factory import make_dataset
from tests.training.training_helpers import WORDS


@pytest.fixture(scope="module")
def eval_folder(tmp_path_factory):
    """New speakers of the same tone words; left/right/up are not the run's words -> _unknown_."""
    root = make_dataset(tmp_path_factory.mktemp("eval"), WORDS, speakers=7, source="tone")
    (root / "stop" / "broken_nohash_0.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    return root


def test_eval_counts_other_folders_as_unknown_and_skips_unreadable_files(exported, eval_folder):
    run, _ = exported
    result = evaluate_folder(run, eval_folder)
    assert result.labels == ["_silence_", "_unknown_", "stop", "go"]
    confusion = np.array(result.confusion)
    # Rows are true labels: stop and go folders, left+right+up as unknown, no silence, no background.
    assert confusion.sum(axis=1).tolist() == [0, 12 * 3, 30, 30]
    assert result.clips == 96
    assert [s["path"] for s in result.skipped] == [str(eval_folder / "stop" / "broken_nohash_0.wav")]
    assert result.accuracy == pytest.approx(np.trace(confusion) / confusion.sum())
    assert result.per_class["_silence_"] is None
    assert result.per_class["stop"] == pytest.approx(confusion[2, 2] / 30)
    assert result.accuracy >= 0.8  # the model learned the tones


def test_eval_refuses_a_missing_folder_and_an_unexported_run(exported, trained, tmp_path):
    run, _ = exported
    with pytest.raises(DataError, match="no such folder"):
        evaluate_folder(run, tmp_path / "nowhere")
    (tmp_path / "empty" / "stop").mkdir(parents=True)
    with pytest.raises(DataError, match="no WAV files"):
        evaluate_folder(run, tmp_path / "empty")
    unexported = RunDir.create(tmp_path / "run", run.config, run.project_dir)
    with pytest.raises(ExportError, match="wakebench export"):
        evaluate_folder(unexported, tmp_path / "empty")
