"""Request planning: read a register map in as few requests as the protocol allows.

Every read request asks one table for a contiguous range: at most 125 registers or 2000
coils or discrete inputs (Modbus application protocol 6.1-6.4; a device may allow fewer,
hence ``max_registers`` and ``max_bits``). :func:`plan_requests` sorts each table's values by
address and sweeps once, growing the current request while the next value fits in the
limit and the hole before it is at most ``max_gap`` addresses that nobody mapped. Reading a
small hole costs a few bytes; another request costs a round trip.

The sweep is optimal: whether a run of consecutive values fits one request depends only on
its first and last value and the holes inside it, so taking as many values as fit into each
request never needs more requests than any other grouping (the usual exchange argument).
A value is never split across requests, so a 32-bit value is read whole.

>>> from shopfloor.connect.modbus.registers import Span
>>> spans = [Span("holding_register", 0, 2), Span("holding_register", 4, 1),
...          Span("holding_register", 300, 1), Span("coil", 7, 1)]
>>> [(r.kind, r.address, r.count) for r in plan_requests(spans, max_gap=8)]
[('coil', 7, 1), ('holding_register', 0, 5), ('holding_register', 300, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shopfloor.connect.modbus.registers import BIT_KINDS, Span
from shopfloor.model.spec_modbus import MAX_READ_BITS, MAX_READ_REGISTERS, RegisterKind

KIND_ORDER: tuple[RegisterKind, ...] = (
    "coil",
    "discrete_input",
    "input_register",
    "holding_register",
)


@dataclass(frozen=True)
class ReadRequest:
    """One read: a table, a start address, a count, and the values it brings back.

    ``members`` index the spans given to :func:`plan_requests`, in address order.
    """

    kind: RegisterKind
    address: int
    count: int
    members: tuple[int, ...]

    @property
    def end(self) -> int:
        """One past the last address read."""
        return self.address + self.count


def plan_requests(
    spans: Sequence[Span],
    *,
    max_gap: int = 0,
    max_registers: int = MAX_READ_REGISTERS,
    max_bits: int = MAX_READ_BITS,
) -> tuple[ReadRequest, ...]:
    """The fewest read requests that cover every span; see the module docstring."""
    if max_gap < 0 or max_registers < 1 or max_bits < 1:
        raise ValueError("max_gap must be >= 0, max_registers and max_bits >= 1")
    requests: list[ReadRequest] = []
    for kind in KIND_ORDER:
        limit = max_bits if kind in BIT_KINDS else max_registers
        members = sorted(
            (i for i, s in enumerate(spans) if s.kind == kind),
            key=lambda i: (spans[i].address, spans[i].width),
        )
        requests.extend(_sweep(kind, spans, members, max_gap, limit))
    return tuple(requests)


def _sweep(
    kind: RegisterKind, spans: Sequence[Span], members: list[int], max_gap: int, limit: int
) -> list[ReadRequest]:
    out: list[ReadRequest] = []
    group: list[int] = []
    start = end = 0
    for i in members:
        span = spans[i]
        if span.width > limit:
            raise ValueError(f"a value {span.width} wide cannot fit a request of {limit}")
        fits = span.address - end <= max_gap and max(end, span.end) - start <= limit
        if group and fits:
            group.append(i)
            end = max(end, span.end)
            continue
        if group:
            out.append(ReadRequest(kind, start, end - start, tuple(group)))
        group, start, end = [i], span.address, span.end
    if group:
        out.append(ReadRequest(kind, start, end - start, tuple(group)))
    return out
