"""The twin's order book as a scheduling problem: machines, routings, times, calendar, setups."""

from __future__ import annotations

import datetime as dt

import pytest

from shopfloor.model.clock import NS_PER_S
from shopfloor.model.errors import ConfigError
from shopfloor.plan.orderbook import (
    ProductionOrder,
    line_machines,
    line_problem,
    sample_order_book,
)
from shopfloor.sim import default_plant

# 2026-11-26 08:00 UTC, 09:00 in Berlin: the early shift's break (09:30-10:00) comes first.
START_NS = 1_795_680_000 * NS_PER_S
HOUR_NS = 3600 * NS_PER_S


def test_the_machines_are_the_lines_in_flow_order() -> None:
    names = [m.name for m in line_machines(default_plant())]
    assert names == ["press1", "cnc1", "cnc2", "weld1", "wash1", "paint1", "oven1", "asm1", "test1"]


def test_an_order_is_a_job_with_one_operation_per_station_of_its_routing() -> None:
    order = ProductionOrder("PO-L", "housing-l", 10, START_NS)
    job = line_problem(default_plant(), [order], start_ns=START_NS).jobs[0]
    stations = [op.name for op in job.operations]
    assert stations == ["stamping", "machining", "washing", "painting", "curing", "assembly",
                        "testing"]  # fmt: skip
    assert (job.order, job.product, job.quantity) == ("PO-L", "housing-l", 10)


def test_processing_time_is_the_ideal_cycle_times_the_products_factor_times_the_quantity() -> None:
    order = ProductionOrder("PO-L", "housing-l", 10, START_NS)
    job = line_problem(default_plant(), [order], start_ns=START_NS).jobs[0]
    stamping, machining = job.operations[0], job.operations[1]
    assert stamping.time_on(0) == 220  # 20 s x 1.1 x 10
    assert machining.time_on(1) == machining.time_on(2) == 472  # ceil(41 s x 1.15 x 10)


def test_both_machining_centres_are_eligible_for_machining() -> None:
    order = ProductionOrder("PO-S", "housing-s", 5, START_NS)
    job = line_problem(default_plant(), [order], start_ns=START_NS).jobs[0]
    assert job.operations[1].machines == (1, 2)


def test_dates_are_seconds_after_the_start() -> None:
    order = ProductionOrder("PO-S", "housing-s", 5, START_NS + HOUR_NS, START_NS + 5 * HOUR_NS, 2)
    problem = line_problem(default_plant(), [order], start_ns=START_NS)
    job = problem.jobs[0]
    assert (job.release, job.due, job.weight) == (3600, 18000, 2)
    assert problem.epoch == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def test_the_plants_breaks_are_downtime_of_every_machine() -> None:
    order = ProductionOrder("PO-S", "housing-s", 5, START_NS)
    problem = line_problem(default_plant(), [order], start_ns=START_NS, horizon_s=86_400)
    for machine in problem.machines:
        breaks = [(d.start, d.end, d.reason) for d in machine.unavailable]
        # 09:30, 18:00 and 02:00 Berlin are 08:30, 17:00 and 01:00 UTC
        assert breaks == [(1800, 3600, "break"), (32400, 34200, "break"),
                          (61200, 63000, "break")]  # fmt: skip


def test_a_product_change_costs_the_machines_setup_time_and_the_same_product_none() -> None:
    problem = line_problem(
        default_plant(), [ProductionOrder("PO-S", "housing-s", 5, START_NS)], start_ns=START_NS
    )
    assert problem.setup_time(1, "housing-s", "housing-m") == 720  # the mill's 12 minutes
    assert problem.setup_time(1, "housing-s", "housing-s") == 0


def test_machines_draw_their_kinds_power() -> None:
    problem = line_problem(
        default_plant(), [ProductionOrder("PO-S", "housing-s", 5, START_NS)], start_ns=START_NS
    )
    power = problem.machines[0].power
    assert power is not None
    assert power.running > power.idle > 0


def test_the_sample_order_book_is_reproducible_and_released_in_turn() -> None:
    first = sample_order_book(default_plant(), start_ns=START_NS, count=5, seed=3)
    again = sample_order_book(default_plant(), start_ns=START_NS, count=5, seed=3)
    assert first == again
    assert [o.release_ns for o in first] == sorted(o.release_ns for o in first)
    assert all(o.due_ns is not None and o.due_ns > o.release_ns for o in first)
    assert all(20 <= o.quantity <= 60 for o in first)


def test_another_seed_gives_another_order_book() -> None:
    first = sample_order_book(default_plant(), start_ns=START_NS, count=5, seed=3)
    other = sample_order_book(default_plant(), start_ns=START_NS, count=5, seed=4)
    assert first != other


def test_an_order_for_an_unknown_product_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown product 'gear'"):
        line_problem(
            default_plant(), [ProductionOrder("PO-X", "gear", 5, START_NS)], start_ns=START_NS
        )
