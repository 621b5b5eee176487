"""App-wide messages: the end messages of the jobs the app itself owns (project state). Messages of one
widget are nested on it (`WordsPane.SelectionChanged`, `TrainingPane.Trained`, ...)."""

from __future__ import annotations

from tui.jobs import JobEnded, JobKind
from tui.views import ProjectScan, RunDetails


class ProjectScanned(JobEnded[ProjectScan]):
    """The project's clips and runs were counted."""

    kind = JobKind.SCAN


class RunDetailsRead(JobEnded[RunDetails]):
    """The picked run's model, memory budget and training curves were read."""

    kind = JobKind.RUN_DETAILS
