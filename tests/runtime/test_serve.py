"""``shopfloor serve`` end to end: a plant file's Modbus connector into the historian."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from importlib import resources
from pathlib import Path

import yaml

from shopfloor.historian import DuckDBHistorian
from shopfloor.model.quality import Quality
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.faces.modbus import ModbusServerFace

LINE = "acme/stuttgart/fabrication/line1"


def plant_file_with(tmp_path: Path, connector: dict[str, object]) -> Path:
    text = (resources.files("shopfloor") / "data" / "plants" / "default.yaml").read_text()
    plant = yaml.safe_load(text)
    plant["connectors"] = [connector]
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(plant, sort_keys=False))
    return path


async def test_serve_runs_the_plants_connectors_into_the_historian(tmp_path: Path) -> None:
    twin = Twin.from_plant(default_plant(), seed=2, start_ns=1_795_680_000 * 10**9)
    face = ModbusServerFace(twin, poll_interval=0.2)
    await face.start()
    try:
        await face.publish(twin.advance(600))
        spec = face.connector_spec("line1-modbus").model_dump(mode="json", exclude_defaults=True)
        spec["type"] = "modbus"
        plant = plant_file_with(tmp_path, spec)
        db = tmp_path / "h.duckdb"
        serve = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "shopfloor",
            "serve",
            "--plant",
            str(plant),
            "--db",
            str(db),
            "--no-live",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path / "state"),
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "SHOPFLOOR_ADMIN_PASSWORD": "x" * 16},
        )
        assert serve.stderr is not None
        first = await asyncio.wait_for(serve.stderr.readline(), 60)
        for _ in range(10):
            await face.publish(twin.advance(60))
            await asyncio.sleep(0.3)
        serve.send_signal(signal.SIGINT)
        await asyncio.wait_for(serve.wait(), 60)
    finally:
        await face.stop()
    assert serve.returncode == 0
    assert b"dashboard and API: http://127.0.0.1:" in first
    with DuckDBHistorian(db, read_only=True) as historian:
        power = historian.raw(f"{LINE}/press1/power", 0, 2**62)
    assert len(power) >= 5
    assert int((power.quality == Quality.GOOD).sum()) >= 5


def test_serve_without_connectors_is_a_one_line_config_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from shopfloor.cli import run

    path = tmp_path / "plant.yaml"
    path.write_text("version: 1\nenterprise: {name: acme}\n")
    assert run(["serve", "--plant", str(path), "--no-web"]) == 2
    assert "no enabled connectors" in capsys.readouterr().err
