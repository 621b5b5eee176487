"""arduino-cli behind a small typed API: find it, run it with --json, parse its answers (core.arduino.cli),
and build and flash a run's firmware with it (core.arduino.build, core.arduino.flash)."""
