"""The ``shopfloor`` command line (Typer and Rich). See ``docs/cli.md``."""

from shopfloor.cli.app import app, main, run

__all__ = ["app", "main", "run"]
