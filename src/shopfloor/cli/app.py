"""The ``shopfloor`` command: one Typer app, one way to report errors.

Every command follows the same conventions (documented in ``docs/cli.md``):

* times are ISO 8601 (UTC unless an offset is given) or relative (``now``, ``-8h``);
* durations are ``90s``, ``30m``, ``8h``, ``7d``;
* ``--db`` picks the history database (default: ``$SHOPFLOOR_DB`` or ``./shopfloor.duckdb``);
* bad arguments, bad files and a bad plant file print one line, ``error: ...``, and exit
  with status 2; other failures exit with status 1; no traceback unless ``SHOPFLOOR_DEBUG=1``;
* long runs show a progress bar on the terminal (on standard error).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from shopfloor.historian.base import Historian
from shopfloor.historian.registry import open_historian, scheme_of
from shopfloor.model.errors import ConfigError, InputError, ShopfloorError

app = typer.Typer(
    name="shopfloor",
    help="shopfloor: connect machines, keep their history, watch the plant, plan production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

DEFAULT_DB = "shopfloor.duckdb"


def default_db() -> str:
    """The database used when ``--db`` is not given."""
    return os.environ.get("SHOPFLOOR_DB", DEFAULT_DB)


DbOption = typer.Option(
    None,
    "--db",
    help="History database: a DuckDB file or postgresql://host/db?schema=name "
    "(default: $SHOPFLOOR_DB or ./shopfloor.duckdb).",
    show_default=False,
)


def progress_bar(*, total_bytes: bool = False) -> Progress:
    """A progress bar on standard error that hides itself when that is not a terminal."""
    counter = DownloadColumn() if total_bytes else MofNCompleteColumn()
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        counter,
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


ApiOption = typer.Option(
    None,
    "--api",
    envvar="SHOPFLOOR_API",
    help="Ask a running shopfloor server (http://host:port) instead of opening the database; "
    "the session token comes from $SHOPFLOOR_TOKEN.",
    show_default=False,
)


def open_db(location: str, *, read_only: bool = False) -> Historian:
    """Open the history database for a command. A DuckDB file is opened in shared mode, so
    that one process writes while others read; other backends share by nature."""
    if scheme_of(location) == "duckdb":
        return open_historian(location, mode="shared", read_only=read_only)
    return open_historian(location, read_only=read_only)


def shown_db(location: str) -> str:
    """The database as it may be printed: a password in a URL becomes ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", location)


def stop_on_signals(stop: asyncio.Event) -> None:
    """Let Ctrl-C and SIGTERM set ``stop``, so a long run ends cleanly (data written first).

    Windows event loops take no signal handlers; there Ctrl-C arrives as KeyboardInterrupt.
    """
    if sys.platform == "win32":
        return
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)


def wall_now_s() -> int:
    """Now, in nanoseconds, rounded down to the second: relative times print cleanly."""
    now = time.time_ns()
    return now - now % 1_000_000_000


def _exit_code(error: ShopfloorError) -> int:
    return 2 if isinstance(error, ConfigError | InputError) else 1


def _fail(message: str, code: int) -> int:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv``; returns the exit status instead of exiting."""
    from shopfloor.cli import commands  # noqa: F401  (registers the commands)

    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args, prog_name="shopfloor", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("interrupted")
        return 130
    except ShopfloorError as exc:
        if os.environ.get("SHOPFLOOR_DEBUG"):
            raise
        return _fail(str(exc).replace("\n", " "), _exit_code(exc))
    except Exception as exc:
        # Typer's usage errors (bad option, missing argument, bad value) carry a message
        # and an exit code; they are matched by shape because Typer's click is private.
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        return _fail(_usage_message(exc), int(exc.exit_code))
    return int(result) if isinstance(result, int) else 0


def _usage_message(exc: Exception) -> str:
    message = str(exc.format_message())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    return " ".join(f"{message}{where}".split())


def main() -> None:
    """Entry point of the ``shopfloor`` console script."""
    sys.exit(run())
