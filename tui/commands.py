"""The command palette's workbench commands (ctrl+p): actions that have no key of their own, and the
panes by name. Each command runs an app action, exactly as a key or a button would.

To add one, add a `(title, help, action)` row to `COMMANDS` (the action is an `action_*` of the app).
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.screens.workbench import PANES

COMMANDS: list[tuple[str, str, str]] = [
    ("Synthesise data", "Make synthetic clips for the ticked words", "synth"),
    ("Fetch Speech Commands", "Download Google Speech Commands", "fetch_speech_commands"),
    ("Resume training", "Continue the last run from its checkpoint", "resume_training"),
    ("Stop all jobs", "Cancel every running job; saved work is kept", "stop_jobs"),
    ("Rescan project", "Re-count clips and runs", "rescan"),
    ("Refresh serial ports", "List the serial ports again", "refresh_ports"),
    ("Connect to the board", "Open the picked port (or close the link)", "connect_board"),
    ("Start a virtual board", "A pty that runs the picked run's model like the firmware", "virtual_board"),
    ("Pick highlighted run", "Use the run highlighted in the Model pane", "pick_run"),
    *((f"Show {title}", f"Bring the {title} pane forward", f"show_pane('{pane}')") for pane, title in PANES),
    ("Save SVG screenshot", "Save the screen as an SVG in the project folder", "save_svg"),
]


class WorkbenchCommands(Provider):
    """Offers `COMMANDS` in the palette (all of them before anything is typed)."""

    def _run(self, action: str) -> partial[object]:
        return partial(self.app.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, self._run(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._run(action), help=help_text)
