"""The retrain loop really fixes a miss.

A base model trained on espeak-ng voices misses "stop" said by a voice it never heard: Piper's neural
en_US "joe" (another engine). 20 clips of that voice go in as board captures: 7 "stop", 7 "go" and 6
other words it says (false alarms the user captured as `_unknown_`). After `retrain_loop` (the
defaults: 1,000 steps from the base's checkpoint, new clips 25 % of each batch), held-out clips of that
voice (30 takes of each word, never captured) must be recognised far more often, and false accepts on a negative
stream (80 other words, half by the new voice, half by the training voices; none of them a captured
word) may rise by at most FALSE_ACCEPT_MARGIN.
The figures are printed (pytest -s) and saved to the test's folder as loop_figures.json.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import pytest

from core.audio.files import read_audio, write_wav
from core.config import (
    SEED_AUGMENTATION,
    DataSettings,
    LoopSettings,
    ProjectConfig,
    TrainingSettings,
    save_config,
)
from core.model.runs import RunDir
from tests import audio_factory as af
from tests.live.keyword_stream import build_stream
from tests.loop.voices import WORDS, make_base_dataset, piper_clips, seen_speakers, write_clips

pytestmark = pytest.mark.slow

CAPTURED_OTHER_WORDS = ("stuff", "talk", "got", "dot", "slow", "coat")
"""The new voice's own near-misses, as a user captures false alarms; none of them is in the negative stream."""
NEGATIVE_WORDS = (
    "top", "shop", "spot", "goal", "show", "toe", "hello", "table", "water", "music",
    "stock", "ghost", "window", "coffee", "morning", "seven", "yellow", "number", "garden", "please",
)  # fmt: skip
HELD_OUT_PER_WORD = 30
FALSE_ACCEPT_MARGIN = 8
"""Of 80 negative words: at most 8 more false accepts after the loop than before (10 points). Measured over
six loops from three base models: +1 to +7 (the base models themselves take 8-17 of the 80 words for a
keyword; training on two threads makes every base model a little different)."""


def base_config() -> ProjectConfig:
    return ProjectConfig(
        words=list(WORDS),
        data=DataSettings(synthetic_dir="data/synthetic"),
        training=TrainingSettings(
            # The seed's model and augmentation, as the other small test models: 1,500 steps cannot learn
            # through the default recipe's rooms and noise (what is tested is the loop, not the recipe).
            model="tiny_conv",
            **SEED_AUGMENTATION,
            steps=[1500],
            learning_rates=[0.002],
            eval_every=500,
            checkpoint_every=500,
            augment_variants=4,
            batch_size=64,
        ),
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from core.model.export import export_run
    from core.model.train import train

    root = tmp_path_factory.mktemp("loop")
    project = root / "project"
    config = base_config()
    make_base_dataset(project / config.data.synthetic_dir)
    save_config(config, project / "wakebench.toml")
    base = RunDir.open(train(config, project, run_dir=project / "runs" / "base").run_dir)
    export_run(base)

    captures = project / config.data.captures_dir
    for word in WORDS:
        piper_clips(captures, word, 7, seed=1, prefix="joecap")
    for word in CAPTURED_OTHER_WORDS:
        (path,) = piper_clips(root / "spoken", word, 1, seed=1, prefix=f"joecap-{word}")
        (captures / "_unknown_").mkdir(parents=True, exist_ok=True)
        shutil.move(path, captures / "_unknown_" / path.name)

    heldout = root / "heldout"
    for word in WORDS:
        piper_clips(heldout, word, HELD_OUT_PER_WORD, seed=7, prefix="joeheld")

    clips = []
    for word in NEGATIVE_WORDS:
        clips += [("_unknown_", read_audio(p)) for p in piper_clips(root / "negatives", word, 2, seed=3)]
        clips += [
            ("_unknown_", read_audio(p))
            for p in write_clips(root / "negatives-espeak", word, seen_speakers(2, seed=5))
        ]
    random.Random(0).shuffle(clips)
    stream = build_stream(clips, af.noise("pink", 7.0, seed=2), seed=1)
    negative = root / "negative_stream.wav"
    write_wav(negative, stream.audio)
    return root, project, base, heldout, negative, len(clips)


def _recall(run: RunDir, heldout: Path) -> dict[str, float]:
    """Share of the held-out clips of each keyword (and of both) the int8 model gets right."""
    from core.model.evaluate import evaluate_folder

    result = evaluate_folder(run, heldout)
    recall = {word: result.per_class[word] for word in WORDS}
    return {**recall, "keywords": sum(recall.values()) / len(recall)}


def _false_accepts(run: RunDir, stream: Path) -> int:
    from core.live.detector import detect_file

    return len(detect_file(run, stream))


def test_the_loop_fixes_a_missed_voice(scenario):
    from core.loop import retrain_loop

    root, project, base, heldout, negative, negatives = scenario
    before_recall = _recall(base, heldout)
    before_fa = _false_accepts(base, negative)
    assert before_recall["stop"] <= 0.5, f"the base model should miss the new voice's 'stop': {before_recall}"

    result = retrain_loop(base, LoopSettings())
    child = RunDir.open(result.run_dir)
    after_recall = _recall(child, heldout)
    after_fa = _false_accepts(child, negative)

    figures = {
        "recall_before": before_recall,
        "recall_after": after_recall,
        "false_accepts_before": before_fa,
        "false_accepts_after": after_fa,
        "negative_words": negatives,
        "new_clips": result.new_clips,
        "new_training_clips": result.new_training_clips,
        "boost": result.boost,
        "stage_seconds": result.stage_seconds,
        "new_clip_scores": [s.accuracy if s else None for s in result.new_clip_scores],
    }
    (root / "loop_figures.json").write_text(json.dumps(figures, indent=2))
    print("\nloop figures:", json.dumps(figures))

    assert after_recall["stop"] >= before_recall["stop"] + 0.4  # the missed word is found far more often
    assert after_recall["keywords"] >= 0.8 and after_recall["keywords"] >= before_recall["keywords"] + 0.2
    assert after_fa <= before_fa + FALSE_ACCEPT_MARGIN

    # The new run is a child of the base, warm-started from its checkpoint; the base is untouched.
    info = child.info
    assert info.parent == str(base.path.resolve()) and Path(info.warm_start).parent == base.checkpoint_dir
    assert len(info.boost) == result.new_clips == 20
    assert result.steps == 1000 and set(result.stage_seconds) == {"new clips", "retrain", "export", "check"}
    assert result.new_clip_scores[1].accuracy > result.new_clip_scores[0].accuracy
    # The new run keeps its parent's calibrated threshold and window ([loop] recalibrate = false).
    assert child.config.recognizer == base.config.recognizer


def test_no_new_clips_is_a_clear_error(scenario, tmp_path):
    from core.errors import DataError
    from core.loop import retrain_loop

    _, project, base, *_ = scenario
    # A run made after the captures has nothing new.
    later = RunDir(tmp_path / "later")
    shutil.copytree(base.path, later.path)
    info_path = later.path / "run.json"
    info = json.loads(info_path.read_text())
    info["created"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() + 1))
    info_path.write_text(json.dumps(info))
    with pytest.raises(DataError) as info:
        retrain_loop(later, LoopSettings())
    assert "record" in info.value.hint
