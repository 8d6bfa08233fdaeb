"""Alarm routes: active list, history, acknowledge, shelve, unshelve, and the limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from shopfloor.api.auth import context, permission
from shopfloor.api.context import ApiContext
from shopfloor.api.routes_data import time_range
from shopfloor.model.errors import ConfigError, InputError
from shopfloor.model.event import JsonValue
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.model.times import positive_duration_ns
from shopfloor.monitor.alarms import AlarmEngine, AlarmService, AlarmStatus, flood_figures
from shopfloor.security import AuditAction, Permission, Principal

router = APIRouter(prefix="/api/alarms", tags=["alarms"])
Reader = Depends(permission(Permission.READ))


class Comment(BaseModel):
    comment: str = Field("", max_length=2000)


class Shelve(BaseModel):
    duration: str = Field(description="how long, e.g. 30m or 8h")
    comment: str = Field("", max_length=2000)


def status_json(s: AlarmStatus) -> dict[str, Any]:
    return {
        "id": s.id,
        "tag": s.tag,
        "asset": s.asset,
        "level": s.level,
        "kind": s.kind,
        "priority": s.priority.value,
        "state": s.state.value,
        "message": s.message,
        "condition": s.condition,
        "limit": s.limit,
        "value": s.value,
        "active": s.active,
        "since_ns": s.since_ns,
        "active_since_ns": s.active_since_ns,
        "shelved_until_ns": s.shelved_until_ns,
        "shelved_by": s.shelved_by,
    }


def service(ctx: ApiContext) -> AlarmService:
    if ctx.alarms is None:
        raise ConfigError("this plant has no alarms: section")
    return ctx.alarms


@router.get("", summary="Alarms that need attention, most urgent first")
async def active(
    ctx: ApiContext = Depends(context), who: Principal = Reader
) -> list[dict[str, Any]]:
    return [status_json(s) for s in sorted(service(ctx).engine.active(), key=lambda s: s.sort_key)]


@router.get("/all", summary="Every configured alarm and its state")
async def every(
    ctx: ApiContext = Depends(context), who: Principal = Reader
) -> list[dict[str, Any]]:
    return [status_json(s) for s in service(ctx).engine.alarms()]


@router.get("/history", summary="Alarm events: activations, acknowledgements (with who), ...")
async def history(
    start: str = Query("-1d"),
    end: str = Query("now"),
    limit: int = Query(1000, ge=1, le=5000),
    ctx: ApiContext = Depends(context),
    who: Principal = Reader,
) -> list[dict[str, Any]]:
    start_ns, end_ns = time_range(ctx, start, end)
    found = await ctx.historian.events(kind="alarm", start_ns=start_ns, end_ns=end_ns, limit=limit)
    return [e.to_dict() for e in found]


@router.get("/flood", summary="Alarm-flood figures (ISA-18.2): alarms per 10 minutes")
async def flood(
    start: str = Query("-1d"),
    end: str = Query("now"),
    ctx: ApiContext = Depends(context),
    who: Principal = Reader,
) -> dict[str, Any]:
    start_ns, end_ns = time_range(ctx, start, end)
    found = await ctx.historian.events(kind="alarm.active", start_ns=start_ns, end_ns=end_ns)
    figures = flood_figures(found, start_ns=start_ns, end_ns=end_ns)
    return {
        "total": figures.total,
        "per_window": figures.per_window,
        "per_hour": figures.per_hour,
        "per_day": figures.per_day,
        "peak": figures.peak,
        "flood_share": figures.flood_share,
        "counts": list(figures.counts),
        "top": [list(t) for t in figures.top],
        "chattering": list(figures.chattering),
        "by_priority": figures.by_priority,
        "benchmarks": [
            {"name": b.name, "value": b.value, "target": b.target, "met": b.met}
            for b in figures.benchmarks()
        ],
    }


@router.post("/{alarm_id:path}/ack", summary="Acknowledge an alarm (operator)")
async def acknowledge(
    alarm_id: str,
    body: Comment,
    ctx: ApiContext = Depends(context),
    who: Principal = Depends(permission(Permission.ALARM_ACKNOWLEDGE)),
) -> dict[str, Any]:
    await service(ctx).acknowledge(alarm_id, who.user, body.comment)
    return await _audited(ctx, who, alarm_id, AuditAction.ALARM_ACKNOWLEDGED, comment=body.comment)


@router.post("/{alarm_id:path}/shelve", summary="Shelve an alarm for a while (operator)")
async def shelve(
    alarm_id: str,
    body: Shelve,
    ctx: ApiContext = Depends(context),
    who: Principal = Depends(permission(Permission.ALARM_SHELVE)),
) -> dict[str, Any]:
    seconds = positive_duration_ns(body.duration, what="duration") / 1e9
    await service(ctx).shelve(alarm_id, who.user, seconds, body.comment)
    until_ns = service(ctx).engine.get(alarm_id).shelved_until_ns or 0
    return await _audited(
        ctx, who, alarm_id, AuditAction.ALARM_SHELVED, until_ns=until_ns, reason=body.comment
    )


@router.post("/{alarm_id:path}/unshelve", summary="Return a shelved alarm to service (operator)")
async def unshelve(
    alarm_id: str,
    body: Comment,
    ctx: ApiContext = Depends(context),
    who: Principal = Depends(permission(Permission.ALARM_SHELVE)),
) -> dict[str, Any]:
    await service(ctx).unshelve(alarm_id, who.user, body.comment)
    return await _audited(ctx, who, alarm_id, AuditAction.ALARM_UNSHELVED, comment=body.comment)


async def _audited(
    ctx: ApiContext, who: Principal, alarm_id: str, action: AuditAction, **details: JsonValue
) -> dict[str, Any]:
    """Record what ``who`` did to the alarm in the audit trail; answer its status now."""
    status = service(ctx).engine.get(alarm_id)
    payload: dict[str, JsonValue] = {"alarm": alarm_id, **details}
    await ctx.security.audit.record(action, actor=who, asset=status.asset, details=payload)
    return status_json(status)


@router.get("/config", summary="The alarm definitions in force (the plant file's alarms:)")
async def config(ctx: ApiContext = Depends(context), who: Principal = Reader) -> dict[str, Any]:
    return service(ctx).engine.spec.model_dump(mode="json")


@router.put("/config", summary="Replace the alarm definitions (engineer); states carry over")
async def replace_config(
    body: dict[str, Any],
    ctx: ApiContext = Depends(context),
    who: Principal = Depends(permission(Permission.CONFIG_WRITE)),
) -> dict[str, Any]:
    alarms = service(ctx)
    try:
        spec = AlarmsSpec.model_validate(body)
    except ValueError as exc:
        raise InputError(f"alarm definitions: {exc}") from None
    before = alarms.engine.spec.model_dump(mode="json")
    engine = AlarmEngine(spec, [t.path for t in ctx.tree.tags()])
    engine.restore_state(alarms.engine.save_state())
    alarms.engine = engine
    await ctx.security.audit.config_changed(
        who,
        asset=ctx.tree.root.name,
        setting="alarms",
        before=before,
        after=spec.model_dump(mode="json"),
    )
    return spec.model_dump(mode="json")
