"""The `wakebench` console script: no arguments opens the app, anything else is the CLI.

Kept free of Textual imports so CLI commands start without loading the UI.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from tui.app import run_app

        return run_app()
    from core.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
