"""Fixtures of the training tests: a tone project, and one trained + exported run shared by the export
and evaluation tests (training is the expensive part; it runs once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.training_helpers import make_project, tiny_config


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def trained(project: Path):
    """(RunDir, events) of one 300-step run on the tone project."""
    from core.model.runs import RunDir
    from core.model.train import train

    events = []
    config = tiny_config()
    result = train(config, project, on_event=events.append)
    return RunDir.open(result.run_dir), events


@pytest.fixture(scope="session")
def exported(trained):
    """(RunDir, ExportReport) of the trained run, exported once."""
    from core.model.export import export_run

    run, _ = trained
    return run, export_run(run)
