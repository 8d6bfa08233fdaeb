"""Production orders: the line works through its order book, explicit orders first and in
order, and stands idle when the book is empty."""

from __future__ import annotations

import numpy as np
import pytest

from shopfloor.model.sim_spec import OrderSpec
from shopfloor.model.states import MachineState
from shopfloor.sim import Twin

from .history import HOUR, START_NS, History, plant_with, run

GENERATED = "  orders:\n    quantity: [200, 700]\n"
EXPLICIT = """\
  orders:
    generate: false
    explicit:
      - {id: A-1, product: housing-l, quantity: 20}
      - {id: A-2, product: housing-s, quantity: 30}
      - {id: A-3, product: housing-m, quantity: 25}
"""
NO_ORDERS = "  orders:\n    generate: false\n"
Run = tuple[Twin, History]


def explicit_run(orders: str, hours: float) -> Run:
    twin = Twin.from_plant(plant_with(orders, replace=GENERATED), seed=1, start_ns=START_NS)
    return twin, History.of(twin, run(twin, hours * HOUR))


@pytest.fixture(scope="module")
def three_orders() -> Run:
    return explicit_run(EXPLICIT, 4)


def payloads(history: History, kind: str, key: str) -> list[object]:
    return [e.payload[key] for e in history.events_of(kind)]


def changes(values: np.ndarray) -> list[str]:
    """The values in order, with repeats collapsed."""
    keep = np.r_[True, values[1:] != values[:-1]]
    return list(values[keep])


def test_explicit_orders_are_released_in_their_order(three_orders: Run) -> None:
    assert payloads(three_orders[1], "order.released", "order") == ["A-1", "A-2", "A-3"]


def test_explicit_orders_are_completed_in_their_order(three_orders: Run) -> None:
    assert payloads(three_orders[1], "order.completed", "order") == ["A-1", "A-2", "A-3"]


def test_a_completed_order_accounts_for_every_part_released(three_orders: Run) -> None:
    events = three_orders[1].events_of("order.completed")
    assert [e.payload["good"] + e.payload["scrapped"] for e in events] == [20, 30, 25]


def test_the_first_machine_makes_the_orders_products_in_turn(three_orders: Run) -> None:
    _, history = three_orders
    assert changes(history.text_tag("press1", "order").values) == ["A-1", "A-2", "A-3"]
    assert changes(history.text_tag("press1", "product").values) == [
        "housing-l",
        "housing-s",
        "housing-m",
    ]


def test_the_line_delivers_the_good_parts_of_its_orders(three_orders: Run) -> None:
    _, history = three_orders
    good = sum(e.payload["good"] for e in history.events_of("order.completed"))
    assert history.tag("test1", "good_count").values[-1] == good


def test_the_line_goes_idle_when_the_orders_are_done(three_orders: Run) -> None:
    twin, _ = three_orders
    status = {s.name: s for s in twin.status()}
    assert (status["press1"].state, status["press1"].reason) == (MachineState.IDLE, "no_order")
    assert {s.state for s in status.values()} <= {MachineState.IDLE, MachineState.STARVED}


def test_without_orders_the_line_stands_idle() -> None:
    twin, history = explicit_run(NO_ORDERS, 2)
    assert history.events_of("order.released") == []
    assert [s.good for s in twin.status()] == [0] * len(twin.machines)
    assert MachineState.RUNNING.code not in history.tag("press1", "state").values
    assert twin.status()[0].reason == "no_order"


def test_an_order_added_by_a_planner_wakes_an_idle_line() -> None:
    twin, _ = explicit_run(NO_ORDERS, 1)
    twin.orders.add(OrderSpec(id="P-1", product="housing-m", quantity=10))
    history = History.of(twin, run(twin, 2 * HOUR))
    assert payloads(history, "order.released", "order") == ["P-1"]
    assert payloads(history, "order.completed", "order") == ["P-1"]


def test_a_planner_cannot_order_an_unknown_product() -> None:
    twin, _ = explicit_run(NO_ORDERS, 0)
    with pytest.raises(ValueError, match="unknown product 'housing-xl'"):
        twin.orders.add(OrderSpec(id="P-1", product="housing-xl", quantity=10))


def test_generated_orders_have_quantities_from_the_plant_file(line_run: Run) -> None:
    quantities = payloads(line_run[1], "order.released", "quantity")
    assert len(quantities) >= 10
    assert all(200 <= q <= 700 for q in quantities)  # type: ignore[operator]


def test_generated_orders_mix_the_product_variants(line_run: Run) -> None:
    products = payloads(line_run[1], "order.released", "product")
    assert set(products) == {"housing-s", "housing-m", "housing-l"}
