"""Condition routes: a machine's latest health, remaining useful life and anomaly."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from shopfloor.api.auth import context, permission
from shopfloor.api.context import ApiContext
from shopfloor.api.errors import error_body
from shopfloor.model.assets import AssetLevel
from shopfloor.security import Permission, Principal

router = APIRouter(prefix="/api/machines", tags=["maintenance"])
Reader = Depends(permission(Permission.READ))


async def _latest(ctx: ApiContext, machine: str, kind: str) -> dict[str, Any] | None:
    found = await ctx.historian.events(asset=machine, kind=kind, limit=1)
    return found[0].to_dict() if found else None


@router.get(
    "/{path:path}/health",
    summary="A machine's latest health and remaining useful life, warning and anomaly",
    response_model=None,
)
async def machine_health(
    path: str, ctx: ApiContext = Depends(context), who: Principal = Reader
) -> dict[str, Any] | JSONResponse:
    """From the stored events: the newest ``health`` estimate (health in [0, 1], RUL in
    hours with its 90 % interval), the newest ``maintenance.warning`` and the newest
    ``anomaly`` event of the machine; each null when there is none yet."""
    machine = path.strip("/")
    asset = ctx.tree.find_asset(machine)
    if asset is None or asset.level is not AssetLevel.MACHINE:
        message = f"no machine at {machine!r}; machines are asset paths such as acme/site/line/m1"
        return JSONResponse(error_body("not_found", message), status_code=404)
    estimate = await _latest(ctx, machine, "health")
    payload = {} if estimate is None else dict(estimate["payload"])
    return {
        "machine": machine,
        "time_ns": None if estimate is None else estimate["time_ns"],
        "health": payload.get("health"),
        "rul_h": payload.get("rul_h"),
        "lower_h": payload.get("lower_h"),
        "upper_h": payload.get("upper_h"),
        "estimate": estimate,
        "warning": await _latest(ctx, machine, "maintenance.warning"),
        "anomaly": await _latest(ctx, machine, "anomaly"),
    }
