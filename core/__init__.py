"""wakebench core: the headless library behind the CLI and the Textual app.

Importing this package is cheap: it never imports TensorFlow, Textual or Rich, and it imports none of the
modules below (import the one you need). Modules that need TensorFlow import it inside the functions
that use it. Every long job is `fn(..., on_event=callback, cancel=CancelToken())`: it reports typed
events (core.events) and stops cleanly, raising core.errors.Cancelled, when the token is set; every
failure a user can cause is a core.errors.WakebenchError with a message and a hint.

The public entry points, by pipeline stage:

- project: `core.config.load_config`, `save_config`, `ProjectConfig` (wakebench.toml, checked on load by
  core.config_checks); `core.config.is_keyword` (the one rule for which labels are words)
- data: `core.data.synth.synthesize_dataset`, `core.data.speech_commands.fetch_speech_commands`,
  `core.data.check.check_dataset`, `core.data.dataset.build_index` (the split: core.data.split_rule)
- audio: `core.audio.files.read_audio` / `write_wav`, `core.audio.sources` (file, array, microphone
  sources), `core.audio.record.Recorder`
- features: `core.features.frontend.compute_features` (batch, TensorFlow),
  `core.features.streaming.StreamingFrontend` (numpy, bit-exact), `core.features.splits.load_split_data`
- model: `core.model.train.train`, `core.model.export.export_run` / `install_firmware_files`,
  `core.model.evaluate.evaluate_folder`, `core.model.tflm.TflmModel`, `core.model.convert.check_model`;
  a run folder and its typed records: `core.model.runs.RunDir`, `resolve_run`, `list_runs`
- live: `core.live.detector.detect_file`, `LiveDetector`; `core.live.recognize.RecognizeCommands`
- board: `core.board.protocol` (serial v1), `core.board.link.BoardLink`, `core.board.sim.VirtualBoard`,
  `core.board.profiles.get_board`, `core.board.firmware_files` (the generated sketch files)
- arduino: `core.arduino.cli.ArduinoCli` (build and flash through arduino-cli)
- command line: `core.cli.main`
"""

__version__ = "0.1.0"
