"""Read routes: assets, tags, latest values, history, events, machine states, OEE."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query

from shopfloor.api.auth import context, permission
from shopfloor.api.context import ApiContext
from shopfloor.historian.base import Aggregate
from shopfloor.model.assets import Asset, Tag
from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import InputError
from shopfloor.model.namespace import Pattern
from shopfloor.model.times import format_time, parse_time, positive_duration_ns
from shopfloor.monitor.history_oee import oee_from_history
from shopfloor.security import Permission, Principal

router = APIRouter(prefix="/api", tags=["data"])
Reader = Depends(permission(Permission.READ))
MAX_RAW = 100_000
MAX_BUCKETS = 10_000
MAX_EVENTS = 5_000


def pattern_of(text: str) -> Pattern:
    try:
        return Pattern(text.strip("/"))
    except ValueError as exc:
        raise InputError(f"pattern {text!r}: {exc}") from None


def time_range(ctx: ApiContext, start: str, end: str) -> tuple[int, int]:
    now = ctx.clock.now_ns()
    start_ns = parse_time(start, now_ns=now, what="start")
    end_ns = parse_time(end, now_ns=now, what="end")
    if end_ns <= start_ns:
        raise InputError("end must be after start")
    return start_ns, end_ns


def tag_json(tag: Tag) -> dict[str, Any]:
    return {
        "name": tag.name,
        "path": tag.path,
        "unit": tag.unit,
        "type": tag.data_type.value,
        "range": list(tag.range) if tag.range else None,
        "description": tag.description,
    }


def asset_json(asset: Asset) -> dict[str, Any]:
    return {
        "name": asset.name,
        "path": asset.path,
        "level": asset.level.value,
        "kind": asset.kind,
        "description": asset.description,
        "tags": [tag_json(t) for t in asset.tags],
        "children": [asset_json(c) for c in asset.children],
    }


def series_json(batch: SampleBatch | TextBatch) -> list[dict[str, Any]]:
    """One series per tag: times, values (null for NaN), qualities and status codes."""
    out = []
    for index, path in enumerate(batch.paths):
        rows = np.flatnonzero(batch.tag == index)
        if not len(rows):
            continue
        values = batch.value[rows].tolist()
        if isinstance(batch, SampleBatch):
            values = [None if v != v else v for v in values]
        out.append(
            {
                "path": path,
                "ts": batch.source_ns[rows].tolist(),
                "value": values,
                "quality": batch.quality[rows].tolist(),
                "status": batch.status[rows].tolist(),
            }
        )
    return out


@router.get("/assets", summary="The asset tree with every tag")
async def assets(ctx: ApiContext = Depends(context), who: Principal = Reader) -> dict[str, Any]:
    return asset_json(ctx.tree.root)


@router.get("/tags", summary="Tags whose path matches a pattern")
async def tags(
    pattern: str = Query("#", description="UNS pattern: + one level, # the rest"),
    ctx: ApiContext = Depends(context),
    who: Principal = Reader,
) -> list[dict[str, Any]]:
    return [tag_json(t) for t in ctx.tree.tags(pattern_of(pattern))]


@router.get("/latest", summary="The newest stored value of each matching tag")
async def latest(
    pattern: str = Query("#"), ctx: ApiContext = Depends(context), who: Principal = Reader
) -> list[dict[str, Any]]:
    batch = await ctx.historian.latest(pattern_of(pattern))
    return [
        {"path": s["path"], "ts": s["ts"][0], "value": s["value"][0], "quality": s["quality"][0]}
        for s in series_json(batch)
    ]


@router.get("/history", summary="Raw or downsampled history of tags")
async def history(
    path: str = Query(..., description="a tag path, or a pattern with every="),
    start: str = Query("-1h"),
    end: str = Query("now"),
    every: str | None = Query(None, description="bucket duration, e.g. 1m; raw without it"),
    agg: Aggregate = Query(Aggregate.MEAN),
    limit: int = Query(10_000, ge=1, le=MAX_RAW, description="most raw samples per page"),
    ctx: ApiContext = Depends(context),
    who: Principal = Reader,
) -> dict[str, Any]:
    selector = pattern_of(path)
    start_ns, end_ns = time_range(ctx, start, end)
    if every is not None:
        every_ns = positive_duration_ns(every, what="every")
        if (end_ns - start_ns) // every_ns > MAX_BUCKETS:
            raise InputError(f"more than {MAX_BUCKETS} buckets: choose a longer every")
        down = await ctx.historian.downsample(selector, start_ns, end_ns, every_ns, [agg])
        batch = SampleBatch(
            down.paths,
            down.tag,
            down.bucket_ns,
            down.bucket_ns,
            np.zeros(len(down), np.uint32),
            down.columns[agg],
        )
        return {"series": series_json(batch), "every_ns": every_ns, "agg": agg.value}
    return await _raw_page(ctx, selector, start_ns, end_ns, limit)


async def _raw_page(
    ctx: ApiContext, selector: Pattern, start_ns: int, end_ns: int, limit: int
) -> dict[str, Any]:
    batch = await ctx.historian.raw(selector, start_ns, end_ns, limit=limit + 1)
    text = await ctx.historian.raw_text(selector, start_ns, end_ns, limit=limit + 1)
    if len(batch) + len(text) <= limit:
        return {"series": series_json(batch) + series_json(text), "next_start": None}
    if not selector.is_literal:
        raise InputError(
            f"more than {limit} samples match: give every= to downsample, a narrower range, "
            "or one tag path to page through"
        )
    page = batch if len(batch) else text
    kept = page.take(np.arange(limit))
    # The next page starts just after this one's last sample, as a time start= accepts.
    return {"series": series_json(kept), "next_start": format_time(int(kept.source_ns[-1]) + 1)}


@router.get("/events", summary="Stored events by asset, kind and time")
async def events(
    asset: str | None = Query(None, description="asset path or pattern"),
    kind: str | None = Query(None, description="a kind, or a family such as alarm"),
    start: str = Query("-1d"),
    end: str = Query("now"),
    limit: int = Query(500, ge=1, le=MAX_EVENTS),
    ctx: ApiContext = Depends(context),
    who: Principal = Reader,
) -> list[dict[str, Any]]:
    start_ns, end_ns = time_range(ctx, start, end)
    if kind is not None and kind.split(".", 1)[0] == "audit":
        who.require(Permission.AUDIT_READ)
    found = await ctx.historian.events(
        asset=pattern_of(asset) if asset else None,
        kind=kind,
        start_ns=start_ns,
        end_ns=end_ns,
        limit=limit,
    )
    shown = [e for e in found if kind is not None or e.family != "audit"]
    return [e.to_dict() for e in shown]


@router.get("/states", summary="Each machine's current state, reason and OEE since start")
async def states(
    ctx: ApiContext = Depends(context), who: Principal = Reader
) -> list[dict[str, Any]]:
    ctx.monitor.drain()
    oee = ctx.monitor.oee(ctx.ideal_cycle_s)
    worst = _worst_alarms(ctx)
    out = []
    for path, live in ctx.monitor.machines.items():
        record = oee.get(path)
        out.append(
            {
                "machine": path,
                "state": live.state.value if live.state else None,
                "reason": live.reason,
                "values": live.values,
                "oee": None if record is None else record.oee,
                "alarm": worst.get(path),
            }
        )
    return out


def _worst_alarms(ctx: ApiContext) -> dict[str, str]:
    if ctx.alarms is None:
        return {}
    worst: dict[str, str] = {}
    for status in sorted(ctx.alarms.engine.active(), key=lambda s: s.sort_key, reverse=True):
        worst[status.asset] = status.priority.value
    return worst


@router.get("/oee", summary="OEE and its losses from history (ISO 22400)")
async def oee(
    start: str = Query("-8h"),
    end: str = Query("now"),
    by: str = Query("machine", pattern="^(machine|line|shift)$"),
    ctx: ApiContext = Depends(context),
    who: Principal = Reader,
) -> list[dict[str, Any]]:
    start_ns, end_ns = time_range(ctx, start, end)
    machines = [m for m in ctx.ideal_cycle_s]
    records = await ctx.historian.call(
        lambda h: oee_from_history(
            h,
            machines=machines,
            ideal_cycle_s=ctx.ideal_cycle_s,
            line_of=ctx.line_of,
            calendar=ctx.calendar,
            start_ns=start_ns,
            end_ns=end_ns,
            by=by,  # type: ignore[arg-type]
        )
    )
    return [r.to_dict() for r in records]
