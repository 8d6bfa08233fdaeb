"""``shopfloor serve``: run the plant file's connectors into the historian until stopped."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from shopfloor.cli.app import (
    DbOption,
    app,
    console,
    default_db,
    err_console,
    open_db,
    stop_on_signals,
)
from shopfloor.cli.oee import line_of
from shopfloor.cli.webopts import (
    HostOption,
    PortOption,
    StateDirOption,
    WebOption,
    start_web,
    web_options,
)
from shopfloor.connect.base import ConnectorStatus
from shopfloor.historian import AsyncHistorian
from shopfloor.model.errors import ConfigError
from shopfloor.model.plant import load_plant
from shopfloor.monitor.live import DISPLAY_TAGS, LiveMonitor
from shopfloor.runtime.monitoring import Monitoring
from shopfloor.runtime.server import WebOptions, WebStack, default_state_dir
from shopfloor.runtime.service import PlantService
from shopfloor.sim.twin import ideal_cycle_times


def status_table(statuses: list[ConnectorStatus]) -> Table:
    """Connectors as a table: state, counters and the last error."""
    table = Table(
        "connector", "type", "state", "messages", "samples", "rejects", "reconnects", "last error"
    )
    for s in statuses:
        c = s.counters
        table.add_row(
            s.name,
            s.type,
            s.state.value,
            f"{c.messages:,}",
            f"{c.samples:,}",
            f"{c.rejects:,}",
            f"{c.reconnects:,}",
            s.last_error or "",
        )
    return table


def status_line(statuses: list[ConnectorStatus]) -> str:
    return "; ".join(
        f"{s.name} {s.state.value} {s.counters.samples:,} samples {s.counters.rejects} rejects"
        for s in statuses
    )


async def serve_until_stopped(
    service: PlantService,
    live: bool,
    stop: asyncio.Event,
    web: WebStack | None = None,
    monitoring: Monitoring | None = None,
) -> None:
    """Run the service (and the dashboard), showing connector status, until ``stop`` is set."""
    await service.start()
    if monitoring is not None:
        await monitoring.start()
    if web is not None:
        await start_web(web)
    try:
        if live:
            with Live(
                status_table(service.statuses()), console=console, refresh_per_second=2
            ) as view:
                while not stop.is_set():
                    with suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), 0.5)
                    view.update(status_table(service.statuses()))
        else:
            while not stop.is_set():
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 10.0)
                err_console.print(status_line(service.statuses()), highlight=False)
    finally:
        if web is not None:
            await web.stop()
        if monitoring is not None:
            await monitoring.stop()
        await service.stop()


@app.command()
def serve(
    plant_file: Path = typer.Option(..., "--plant", help="Plant file with a connectors: section."),
    db: str | None = DbOption,
    live: bool | None = typer.Option(
        None, "--live/--no-live", help="Live status table (default: when on a terminal)."
    ),
    web: bool = WebOption,
    host: str = HostOption,
    port: int = PortOption,
    state_dir: str | None = StateDirOption,
) -> None:
    """Run the plant's connectors into the historian until Ctrl-C, with the dashboard."""
    plant = load_plant(plant_file)
    if not any(c.enabled for c in plant.connectors):
        raise ConfigError(f"{plant_file}: no enabled connectors in the connectors: section")
    location = db or default_db()
    show = console.is_terminal if live is None else live
    options = web_options(web, host, port, state_dir)
    states = Path(state_dir or default_state_dir())
    asyncio.run(_main(plant_file, location, show, options, states))


async def _main(
    plant_file: Path, location: str, live: bool, options: WebOptions | None, states: Path
) -> None:
    plant = load_plant(plant_file)
    historian = AsyncHistorian(open_db(location))
    service = PlantService(plant, historian)
    machines = [m.path for m in plant.machines()]
    monitoring = Monitoring(plant, machines, service.bus, state_dir=states)
    stack = None
    if options is not None:
        stack = WebStack(
            plant,
            plant,
            bus=service.bus,
            historian=historian,
            monitor=LiveMonitor(service.bus, machines, display=DISPLAY_TAGS),
            ideal_cycle_s=ideal_cycle_times(plant),
            line_of=line_of(plant),
            options=options,
        )
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        await serve_until_stopped(service, live, stop, stack, monitoring)
    finally:
        await historian.close()
    console.print(status_table(service.statuses()))
