"""The web server of a shopfloor process: API, live stream, dashboard, alarms, security.

:class:`WebStack` builds the security database (in the state directory), creates the first
admin when there is none (the password is returned once, for printing once), starts the
alarm service when the plant has an ``alarms:`` section (with an alarm on each watched
machine's derived ``anomaly`` tag, see ``runtime/monitoring.py``), and serves the FastAPI app with
uvicorn inside the running event loop, on ``127.0.0.1`` unless told otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from shopfloor.api.app import create_app
from shopfloor.api.context import ApiContext
from shopfloor.api.live import LiveHub
from shopfloor.bus.base import Bus
from shopfloor.files import write_text_atomic
from shopfloor.historian.aio import AsyncHistorian
from shopfloor.model.assets import AssetTree
from shopfloor.model.clock import Clock, WallClock
from shopfloor.model.errors import InputError
from shopfloor.model.plant import Plant
from shopfloor.monitor.alarms import AlarmEngine, AlarmService
from shopfloor.monitor.live import LiveMonitor
from shopfloor.runtime.monitoring import alarms_with_anomaly, with_derived_tags
from shopfloor.security import Security, SQLiteSecurityDB

DEFAULT_STATE_DIR = ".shopfloor"
ALARM_STATE = "alarms-state.json"


def default_state_dir() -> str:
    return os.environ.get("SHOPFLOOR_STATE_DIR", DEFAULT_STATE_DIR)


@dataclass
class WebOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    state_dir: str = DEFAULT_STATE_DIR


class WebStack:
    """Everything behind the dashboard, started and stopped together."""

    def __init__(
        self,
        plant: Plant,
        tree: AssetTree,
        *,
        bus: Bus,
        historian: AsyncHistorian,
        monitor: LiveMonitor,
        ideal_cycle_s: dict[str, float],
        line_of: dict[str, str],
        options: WebOptions,
        alarm_clock: Clock | None = None,
    ) -> None:
        # The API's "now" (relative times such as -1h) follows the plant's clock: the twin's
        # simulated time in a demo, the wall clock for real devices.
        self.options = options
        self.state_dir = Path(options.state_dir)
        self.db = SQLiteSecurityDB.in_state_dir(self.state_dir)
        self.security = Security(self.db, bus, clock=WallClock(), root_asset=plant.root.name)
        self.alarms = None
        tree = with_derived_tags(tree, plant.anomaly)
        alarms = alarms_with_anomaly(plant, [m.path for m in tree.machines()])
        if alarms is not None:
            engine = AlarmEngine(alarms, [t.path for t in tree.tags()])
            self.alarms = AlarmService(engine, bus, alarm_clock or WallClock())
        self.context = ApiContext(
            plant=plant,
            tree=tree,
            historian=historian,
            bus=bus,
            hub=LiveHub(bus),
            monitor=monitor,
            security=self.security,
            alarms=self.alarms,
            ideal_cycle_s=ideal_cycle_s,
            line_of=line_of,
            clock=alarm_clock or WallClock(),
        )
        self.app = create_app(self.context)
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self.url = ""

    async def start(self) -> str | None:
        """Start alarms and the web server; returns a new admin's password (print it once)."""
        password = await self.security.first_start()
        if self.alarms is not None:
            self._restore_alarms()
            await self.alarms.start()
        config = uvicorn.Config(
            self.app,
            host=self.options.host,
            port=self.options.port,
            log_level="warning",
            lifespan="on",
            ws="websockets-sansio" if _has_sansio() else "auto",
        )
        self._server = _EmbeddedServer(config)
        self._serving = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._serving.done():
                # uvicorn exits (SystemExit) when it cannot bind: say what to change.
                where = f"{self.options.host}:{self.options.port}"
                raise InputError(
                    f"cannot serve the dashboard on {where}: is the port in use? "
                    "choose another with --port, or --port 0 for any free one"
                )
            await asyncio.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.options.host}:{port}"
        return password

    async def stop(self) -> None:
        """Stop serving, then save the alarm states for the next start."""
        if self._server is not None:
            self._server.should_exit = True
        if self._serving is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._serving
        if self.alarms is not None:
            await self.alarms.stop()
            self._save_alarms()
        self.db.close()

    def _restore_alarms(self) -> None:
        path = self.state_dir / ALARM_STATE
        if self.alarms is not None and path.exists():
            self.alarms.engine.restore_state(json.loads(path.read_text(encoding="utf-8")))

    def _save_alarms(self) -> None:
        if self.alarms is None:
            return
        path = self.state_dir / ALARM_STATE
        write_text_atomic(path, json.dumps(self.alarms.engine.save_state()))


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our event loop: the process's own Ctrl-C handling stays in charge."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _has_sansio() -> bool:
    try:
        import websockets.asyncio  # noqa: F401
    except ImportError:
        return False
    return True
