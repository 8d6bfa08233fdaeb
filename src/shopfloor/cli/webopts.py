"""The dashboard options that ``demo`` and ``serve`` share, and starting it with a banner."""

from __future__ import annotations

import typer

from shopfloor.cli.app import err_console
from shopfloor.runtime.server import WebOptions, WebStack, default_state_dir

WebOption = typer.Option(True, "--web/--no-web", help="Serve the dashboard and the API.")
HostOption = typer.Option("127.0.0.1", help="Address the dashboard listens on.")
PortOption = typer.Option(8080, min=0, max=65535, help="Port of the dashboard (0: any free).")
StateDirOption = typer.Option(
    None, help="Users, sessions and alarm states (default: $SHOPFLOOR_STATE_DIR or ./.shopfloor)."
)


def web_options(web: bool, host: str, port: int, state_dir: str | None) -> WebOptions | None:
    """The dashboard settings, or None with ``--no-web``."""
    return WebOptions(host, port, state_dir or default_state_dir()) if web else None


async def start_web(stack: WebStack) -> None:
    """Start the dashboard and say where it is; a new admin's password is shown this once."""
    password = await stack.start()
    err_console.print(f"dashboard and API: {stack.url}  (API description: {stack.url}/docs)")
    if password is not None:
        err_console.print(
            f"first start: created user admin with password {password} "
            "(shown only this once; change it after logging in)"
        )
