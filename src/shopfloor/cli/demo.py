"""``shopfloor demo``: the factory twin running into the embedded historian, watched live.

The twin starts at ``--start`` (by default an hour ago, or ``--duration`` ago with
``--speed max``), catches up to the present as fast as it can, then runs at ``--speed``
times real time. Everything goes over the in-process bus into the historian (DuckDB in
shared mode, so ``shopfloor history`` and ``shopfloor oee`` can read the same file while the
demo runs) and into the live terminal view.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from pathlib import Path

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from shopfloor.bus.memory import MemoryBus
from shopfloor.cli.app import (
    DbOption,
    app,
    console,
    default_db,
    err_console,
    open_db,
    shown_db,
    stop_on_signals,
    wall_now_s,
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
from shopfloor.historian import AsyncHistorian
from shopfloor.model.clock import NS_PER_S
from shopfloor.model.errors import InputError
from shopfloor.model.plant import Plant
from shopfloor.model.states import MachineState
from shopfloor.model.times import format_time, parse_time, positive_duration_ns
from shopfloor.monitor.live import DISPLAY_TAGS, LiveMonitor
from shopfloor.runtime.monitoring import Monitoring
from shopfloor.runtime.protocol_demo import PROTOCOLS, ProtocolFace
from shopfloor.runtime.recorder import Recorder
from shopfloor.runtime.server import WebOptions, WebStack, default_state_dir
from shopfloor.runtime.twin_runner import TwinClock, run_twin, to_bus
from shopfloor.sim import Twin, plant_or_default
from shopfloor.sim.twin import ideal_cycle_times

DISPLAY = DISPLAY_TAGS
STATE_STYLE = {
    MachineState.RUNNING: "green",
    MachineState.IDLE: "white",
    MachineState.STARVED: "yellow",
    MachineState.BLOCKED: "yellow",
    MachineState.SETUP: "cyan",
    MachineState.PLANNED_STOP: "blue",
    MachineState.UNPLANNED_STOP: "bold red",
}


def parse_speed(text: str) -> float | None:
    """``max`` (None) or a positive multiple of real time."""
    if text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        raise InputError(
            f"--speed must be a number (times real time) or max, not {text!r}"
        ) from None
    if speed <= 0:
        raise InputError("--speed must be above zero")
    return speed


class DemoRun:
    """One demo: twin, bus, recorder, live monitor, and the view that shows them."""

    def __init__(
        self,
        twin: Twin,
        db: str,
        speed: float | None,
        face: ProtocolFace | None = None,
        *,
        plant: Plant | None = None,
        web: WebOptions | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.twin = twin
        self.plant = plant
        self.web_options = web
        self.web: WebStack | None = None
        self.db = db
        self.speed = speed
        self.bus = MemoryBus()
        self.historian = AsyncHistorian(open_db(db))
        self.recorder = Recorder(self.bus, self.historian)
        self.monitor = LiveMonitor(self.bus, [m.path for m in twin.machines], display=DISPLAY)
        self.ideal = ideal_cycle_times_of(twin)
        self.stop = asyncio.Event()
        self.phase = "starting"
        self.face = face
        self.emit = to_bus(self.bus) if face is None else face.emitter(self.bus)
        machines = [m.path for m in twin.machines]
        self.monitoring = (
            None if plant is None else Monitoring(plant, machines, self.bus, state_dir=state_dir)
        )

    async def run(self, start_ns: int, end_ns: int | None, live: bool) -> None:
        recording = asyncio.create_task(self.recorder.run())
        viewing = asyncio.create_task(self._view(live))
        try:
            if self.monitoring is not None:
                await self.monitoring.start()
            await self._start_web()
            if self.face is not None:
                self.phase = f"connecting over {self.face.protocol}"
                await self.face.start(self.bus)
            await self._drive(start_ns, end_ns)
        finally:
            self.stop.set()
            if self.face is not None:
                await self.face.stop()
            if self.web is not None:
                await self.web.stop()
            if self.monitoring is not None:
                await self.monitoring.stop()
            self.recorder.close()
            await recording
            await viewing
            await self.historian.close()
            self.monitor.drain()

    async def _start_web(self) -> None:
        if self.web_options is None or self.plant is None:
            return
        self.web = WebStack(
            self.plant,
            self.twin.tree,
            bus=self.bus,
            historian=self.historian,
            monitor=self.monitor,
            ideal_cycle_s=self.ideal,
            line_of=line_of(self.plant),
            options=self.web_options,
            alarm_clock=TwinClock(self.twin, self.speed),
        )
        await start_web(self.web)

    async def _drive(self, start_ns: int, end_ns: int | None) -> None:
        now = wall_now_s()
        catch_up_to = now if end_ns is None else min(now, end_ns)
        if self.speed is not None and catch_up_to > start_ns:
            self.phase = "catching up"
            await run_twin(
                self.twin,
                self.emit,
                speed=None,
                chunk_s=300,
                duration_s=(catch_up_to - start_ns) / NS_PER_S,
                stop=self.stop,
            )
        self.phase = "running" if self.speed is None else f"running at {self.speed:g}x"
        remaining = None if end_ns is None else (end_ns - self.twin.now_ns) / NS_PER_S
        if remaining is None or remaining > 0:
            await run_twin(
                self.twin,
                self.emit,
                speed=self.speed,
                duration_s=remaining,
                stop=self.stop,
                chunk_s=300,
                tick_s=0.25,
            )

    async def _view(self, live: bool) -> None:
        if not live:
            await self._log_lines()
            return
        with Live(self.render(), console=console, refresh_per_second=4, transient=False) as view:
            while not self.stop.is_set():
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), 0.25)
                self.monitor.drain()
                view.update(self.render())

    async def _log_lines(self) -> None:
        while not self.stop.is_set():
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 5.0)
            self.monitor.drain()
            err_console.print(self.status_line(), highlight=False)

    def status_line(self) -> str:
        return (
            f"{self.phase}: simulated {format_time(self.twin.now_ns)}, "
            f"{self.recorder.stats.samples + self.recorder.stats.texts:,} samples and "
            f"{self.recorder.stats.events:,} events recorded into {shown_db(self.db)}"
        )

    def render(self) -> Group:
        oee = self.monitor.oee(self.ideal)
        table = Table(
            "machine",
            "kind",
            "state",
            "reason",
            "good",
            "scrap",
            "OEE",
            "temp °C",
            "vib mm/s",
            "power kW",
            title=self.twin.line_path,
        )
        for m in self.twin.machines:
            live = self.monitor.machines[m.path]
            record = oee.get(m.path)
            state = live.state
            table.add_row(
                m.name,
                self.twin.kinds[m.name].label,
                Text(
                    state.value if state else "—", style=STATE_STYLE.get(state, "") if state else ""
                ),
                live.reason,
                f"{int(live.increments.get('good_count', 0))}",
                f"{int(live.increments.get('scrap_count', 0))}",
                "—" if record is None or record.oee is None else f"{100 * record.oee:.0f}%",
                *(_fmt(live.values.get(tag)) for tag in DISPLAY),
            )
        events = Table("time", "asset", "event", title="recent events", show_edge=False)
        for event in list(self.monitor.events)[::-1][:8]:
            events.add_row(
                format_time(event.time_ns),
                event.asset.rsplit("/", 1)[-1],
                _describe(event.kind, dict(event.payload)),
            )
        header = Text(self.status_line() + "  (Ctrl-C stops)", style="dim")
        return Group(header, table, events)


def ideal_cycle_times_of(twin: Twin) -> dict[str, float]:
    return {m.path: m.p.cycle_time or 0.0 for m in twin.machines if m.p.cycle_time}


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _describe(kind: str, payload: dict[str, object]) -> str:
    if kind == "state.change":
        return f"{payload.get('from')} → {payload.get('to')} {payload.get('reason') or ''}".strip()
    if kind == "sim.failure":
        return f"failure ({payload.get('kind')}): {payload.get('cause')}"
    if kind.startswith("anomaly."):
        tags = payload.get("tags")
        found = (
            [str(t.get("tag")) for t in tags if isinstance(t, dict)]
            if isinstance(tags, list)
            else []
        )
        return f"{kind} {', '.join(found)}".strip()
    if kind.startswith("order."):
        order, product = payload.get("order"), payload.get("product")
        return f"{kind.split('.', 1)[1]} {order} {product} x{payload.get('quantity')}"
    return kind


@app.command()
def demo(
    plant_file: Path | None = typer.Option(
        None, "--plant", help="Plant file with a sim: section (default: the built-in line)."
    ),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same history."),
    speed: str = typer.Option("1", help="Times real time, or 'max' for as fast as possible."),
    duration: str | None = typer.Option(
        None,
        help="Stop after this much simulated time (e.g. 8h, 7d); without it, run until Ctrl-C.",
    ),
    start: str | None = typer.Option(
        None, help="Simulated start time (default: -1h, or minus --duration with --speed max)."
    ),
    db: str | None = DbOption,
    live: bool | None = typer.Option(
        None, "--live/--no-live", help="Live terminal view (default: when on a terminal)."
    ),
    protocol: str | None = typer.Option(
        None,
        help="Serve the twin over sparkplug, opcua or modbus and read it back through "
        "the matching connector (default: in-process, no protocol).",
    ),
    broker: str = typer.Option(
        "mqtt://127.0.0.1:1883", help="MQTT broker for --protocol sparkplug."
    ),
    web: bool = WebOption,
    host: str = HostOption,
    port: int = PortOption,
    state_dir: str | None = StateDirOption,
) -> None:
    """Run the factory twin into the historian and watch the line live."""
    plant = plant_or_default(plant_file)
    pace = parse_speed(speed)
    now = wall_now_s()
    span_ns = positive_duration_ns(duration, what="--duration") if duration else None
    default_start = "-1h" if pace is not None or span_ns is None else f"-{span_ns / NS_PER_S}s"
    if protocol is not None:
        default_start = "now"  # a protocol carries the present, not an hour of backlog
    start_ns = parse_time(start or default_start, now_ns=now, what="--start")
    start_ns -= start_ns % NS_PER_S
    end_ns = None if span_ns is None else start_ns + span_ns
    twin = Twin.from_plant(plant, seed=seed, start_ns=start_ns)
    location = db or default_db()
    show = console.is_terminal if live is None else live
    face = None
    if protocol is not None:
        if protocol not in PROTOCOLS:
            raise InputError(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
        face = ProtocolFace(protocol, twin, broker=broker, speed=pace)
    options = web_options(web, host, port, state_dir)
    states = Path(state_dir or default_state_dir())
    run = DemoRun(twin, location, pace, face, plant=plant, web=options, state_dir=states)
    wall = time.monotonic()
    asyncio.run(_main(run, start_ns, end_ns, show))
    _summary(run, start_ns, time.monotonic() - wall, location)


async def _main(run: DemoRun, start_ns: int, end_ns: int | None, live: bool) -> None:
    stop_on_signals(run.stop)
    await run.run(start_ns, end_ns, live)


def _summary(run: DemoRun, start_ns: int, wall_s: float, location: str) -> None:
    simulated = (run.twin.now_ns - start_ns) / NS_PER_S
    oee = run.monitor.oee(run.ideal)
    values = [r.oee for r in oee.values() if r.oee is not None]
    mean = f"{100 * sum(values) / len(values):.1f}%" if values else "—"
    stats = run.recorder.stats
    console.print(
        f"simulated {simulated / 3600:.2f} h of {run.twin.line_path} in {wall_s:.1f} s "
        f"({simulated / max(wall_s, 1e-9):,.0f}x real time); recorded {stats.samples:,} samples, "
        f"{stats.texts:,} text samples and {stats.events:,} events into {shown_db(location)}; "
        f"mean machine OEE {mean}"
    )
    console.print(
        f"next: shopfloor oee --db {shown_db(location)} --start {format_time(start_ns)} "
        f"--end {format_time(run.twin.now_ns)}"
    )


__all__ = ["demo", "ideal_cycle_times"]
