"""Drive the twin in time, at a multiple of real time or as fast as possible.

At ``speed`` times real time the runner wakes every ``tick_s`` seconds and advances the
twin to ``start + speed * elapsed``; with ``speed=None`` ("max") it advances ``chunk_s``
simulated seconds per step and yields to the event loop between steps. Each step's output
goes to ``emit``: onto the bus (:func:`to_bus`), whose backpressure paces a fast twin to what
its consumers can take, or to a protocol face that serves it over the wire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from shopfloor.bus.base import Bus
from shopfloor.model.clock import NS_PER_S
from shopfloor.sim.twin import Twin, TwinOutput


@dataclass
class RunStats:
    steps: int = 0
    samples: int = 0
    events: int = 0
    wall_s: float = 0.0

    def speedup(self, simulated_s: float) -> float:
        return simulated_s / self.wall_s if self.wall_s > 0 else 0.0


class TwinClock:
    """The twin's simulated time as a :class:`~shopfloor.model.clock.Clock`.

    Services beside a running twin (a connector reading its protocol face, the alarm
    service) stamp and wait in simulated time; a wait lasts ``seconds / speed`` of wall
    time, or a moment at ``speed=None`` (as fast as possible).
    """

    def __init__(self, twin: Twin, speed: float | None) -> None:
        self.twin = twin
        self.speed = speed

    def now_ns(self) -> int:
        return self.twin.now_ns

    async def sleep(self, seconds: float) -> None:
        wall = 0.001 if self.speed is None else max(0.0, seconds) / self.speed
        await asyncio.sleep(wall)


Emit = Callable[[TwinOutput], Awaitable[None]]
"""Where each step's output goes: the bus, or a protocol face in front of the twin."""


def to_bus(bus: Bus) -> Emit:
    """Put each step's output on the bus."""

    async def emit(out: TwinOutput) -> None:
        if len(out.samples):
            await bus.publish(out.samples)
        if len(out.texts):
            await bus.publish(out.texts)
        if out.events:
            await bus.publish(out.events)

    return emit


async def run_twin(
    twin: Twin,
    emit: Emit,
    *,
    speed: float | None,
    duration_s: float | None = None,
    chunk_s: float = 600.0,
    tick_s: float = 0.25,
    stop: asyncio.Event | None = None,
    on_step: Callable[[TwinOutput], None] | None = None,
) -> RunStats:
    """Run ``twin`` until ``duration_s`` simulated seconds have passed or ``stop`` is set."""
    stats = RunStats()
    begin_ns = twin.now_ns
    end_ns = None if duration_s is None else begin_ns + round(duration_s * NS_PER_S)
    wall0 = time.monotonic()
    while not (stop is not None and stop.is_set()):
        if speed is None:
            target = twin.now_ns + round(chunk_s * NS_PER_S)
        else:
            await asyncio.sleep(tick_s)
            target = begin_ns + round(speed * (time.monotonic() - wall0) * NS_PER_S)
        if end_ns is not None:
            target = min(target, end_ns)
        if target > twin.now_ns:
            out = twin.advance_to(target)
            await emit(out)
            stats.steps += 1
            stats.samples += len(out.samples) + len(out.texts)
            stats.events += len(out.events)
            if on_step is not None:
                on_step(out)
        if speed is None:
            await asyncio.sleep(0)
        if end_ns is not None and twin.now_ns >= end_ns:
            break
    stats.wall_s = time.monotonic() - wall0
    return stats
