"""Make the README screenshot: the workbench on a small demo project, saved by the app itself.

Builds a stop/go project in a temporary folder (synthetic clips made by `core`), trains a short run
(and exports it when `core.model.export` is there), plays a spoken "stop … go" recording through the
spectrogram, and saves the screen with `App.save_screenshot`.

Usage: python -m tui.screenshot [OUT.svg]   (default assets/screenshot.svg)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.config import (
    PROJECT_FILE,
    SEED_AUGMENTATION,
    DataSettings,
    ProjectConfig,
    TrainingSettings,
    save_config,
)

SIZE = (160, 48)


def make_demo_project(root: Path) -> Path:
    from core.audio.files import write_wav
    from core.data.synth import synthesize_dataset
    from core.data.synth_backends import Speaker, get_backend
    from core.model.train import train

    root.mkdir(parents=True, exist_ok=True)
    training = TrainingSettings(
        steps=[400, 100], learning_rates=[0.001, 0.0001], batch_size=50, eval_every=50, **SEED_AUGMENTATION
    )
    config = ProjectConfig(words=["stop", "go"], data=DataSettings(synth_per_word=60), training=training)
    save_config(config, root / PROJECT_FILE)
    synthesize_dataset(config.words, root / config.data.synthetic_dir, per_word=60, seed=0)
    result = train(config, root)
    try:
        from core.model.export import export_run
    except ImportError:  # export is not in core yet: the Model pane shows the run as not exported
        pass
    else:
        export_run(result.run_dir)
    voice = get_backend("espeak")
    gap = np.zeros(3200, np.float32)
    speech = [
        gap,
        voice.speak("stop", Speaker(voice="en-us")),
        gap,
        voice.speak("go", Speaker(voice="en-us", pitch=35)),
        gap,
    ]
    write_wav(root / "stop_go.wav", np.concatenate(speech) * 0.8)
    return root


async def save_screenshot(out: Path) -> None:
    from tui.app import WakebenchApp

    with tempfile.TemporaryDirectory() as tmp:
        project = make_demo_project(Path(tmp) / "demo")
        app = WakebenchApp(project)
        app.realtime_files = False
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("o")
            await pilot.press(*"stop_go.wav", "enter")
            await app.workers.wait_for_complete()
            app.workbench.show_pane("words")
            await pilot.pause()
            out.parent.mkdir(parents=True, exist_ok=True)
            app.save_screenshot(filename=out.name, path=str(out.parent))
    print(f"saved {out}")


if __name__ == "__main__":
    asyncio.run(save_screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/screenshot.svg")))
