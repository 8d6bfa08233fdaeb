"""Request planning: every mapped value read whole, within the protocol's limits, in the
fewest requests."""

from __future__ import annotations

import doctest
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.connect.modbus import plan
from shopfloor.connect.modbus.plan import ReadRequest, plan_requests
from shopfloor.connect.modbus.registers import BIT_KINDS, Span
from shopfloor.model.spec_modbus import RegisterKind

KINDS: list[RegisterKind] = ["coil", "discrete_input", "input_register", "holding_register"]


@st.composite
def register_maps(draw: st.DrawFn) -> list[Span]:
    """Non-overlapping values in each table, as a valid register map has them."""
    spans: list[Span] = []
    gaps = st.one_of(st.just(0), st.integers(0, 40), st.integers(0, 3000))
    for kind in draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4, unique=True)):
        widths = st.just(1) if kind in BIT_KINDS else st.sampled_from([1, 2])
        address = draw(st.integers(0, 200))
        for width, gap in draw(st.lists(st.tuples(widths, gaps), min_size=1, max_size=40)):
            if address + width > 65536:
                break
            spans.append(Span(kind, address, width))
            address += width + gap
    return draw(st.permutations(spans))


limits = st.fixed_dictionaries(
    {
        "max_gap": st.integers(0, 30),
        "max_registers": st.integers(2, 125),
        "max_bits": st.integers(1, 2000),
    }
)


def limit_of(kind: RegisterKind, options: dict[str, int]) -> int:
    return options["max_bits"] if kind in BIT_KINDS else options["max_registers"]


@settings(max_examples=200, deadline=None)
@given(register_maps(), limits)
def test_every_value_is_read_whole_by_one_request_within_the_limits(
    spans: list[Span], options: dict[str, int]
) -> None:
    requests = plan_requests(spans, **options)
    assert sorted(i for r in requests for i in r.members) == list(range(len(spans)))
    for request in requests:
        assert 1 <= request.count <= limit_of(request.kind, options)
        members = sorted((spans[i] for i in request.members), key=lambda s: s.address)
        assert all(s.kind == request.kind for s in members)
        assert members[0].address == request.address
        assert max(s.end for s in members) == request.end <= 65536
        reach = members[0].end
        for span in members[1:]:
            assert span.address - reach <= options["max_gap"]
            reach = max(reach, span.end)
    for kind in KINDS:
        ranges = sorted((r.address, r.end) for r in requests if r.kind == kind)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(ranges))


@settings(max_examples=150, deadline=None)
@given(register_maps(), limits)
def test_the_plan_needs_no_more_requests_than_the_best_grouping(
    spans: list[Span], options: dict[str, int]
) -> None:
    best = sum(fewest_requests(spans, kind, options) for kind in KINDS)
    assert len(plan_requests(spans, **options)) == best


def fewest_requests(spans: list[Span], kind: RegisterKind, options: dict[str, int]) -> int:
    """The optimum by dynamic programming over runs of values in address order."""
    ordered = sorted((s for s in spans if s.kind == kind), key=lambda s: (s.address, s.width))
    limit, gap = limit_of(kind, options), options["max_gap"]
    best = [0] + [len(ordered) + 1] * len(ordered)
    for j in range(1, len(ordered) + 1):
        for i in range(j - 1, -1, -1):
            run = ordered[i:j]
            gaps_ok = all(b.address - a.end <= gap for a, b in pairwise(run))
            if not gaps_ok or max(s.end for s in run) - run[0].address > limit:
                break
            best[j] = min(best[j], best[i] + 1)
    return best[len(ordered)]


def test_contiguous_registers_are_read_in_requests_of_at_most_125() -> None:
    spans = [Span("holding_register", a, 1) for a in range(300)]
    requests = plan_requests(spans)
    assert [(r.address, r.count) for r in requests] == [(0, 125), (125, 125), (250, 50)]


def test_contiguous_coils_are_read_in_requests_of_at_most_2000() -> None:
    spans = [Span("coil", a, 1) for a in range(4500)]
    assert [r.count for r in plan_requests(spans)] == [2000, 2000, 500]


def test_a_32_bit_value_is_never_split_across_requests() -> None:
    spans = [Span("input_register", 2 * i, 2) for i in range(63)]
    requests = plan_requests(spans)
    assert [(r.address, r.count) for r in requests] == [(0, 124), (124, 2)]


def test_a_gap_up_to_max_gap_is_read_over_and_a_wider_one_splits() -> None:
    spans = [Span("holding_register", 0, 1), Span("holding_register", 5, 1)]
    assert [(r.address, r.count) for r in plan_requests(spans, max_gap=4)] == [(0, 6)]
    assert [(r.address, r.count) for r in plan_requests(spans, max_gap=3)] == [(0, 1), (5, 1)]


def test_tables_are_never_mixed_in_one_request() -> None:
    spans = [Span("input_register", 0, 1), Span("holding_register", 1, 1)]
    assert [r.kind for r in plan_requests(spans, max_gap=10)] == [
        "input_register",
        "holding_register",
    ]


def test_bit_fields_of_one_register_share_a_request() -> None:
    spans = [Span("holding_register", 7, 1), Span("holding_register", 7, 1)]
    assert plan_requests(spans) == (ReadRequest("holding_register", 7, 1, (0, 1)),)


def test_the_module_examples_run() -> None:
    assert doctest.testmod(plan).failed == 0
