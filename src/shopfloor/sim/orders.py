"""The twin's order book: explicit orders first, then generated ones if enabled.

The first station asks :class:`OrderBook` for the next part to start. An order is released
with its first part and completed when every part released for it has left the line, good
or scrapped. A planner replaces or extends the queue through :meth:`OrderBook.add`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from shopfloor.model.sim_spec import OrderSpec, ProductSpec, SimSpec
from shopfloor.sim.machine import Part


@dataclass
class OrderProgress:
    """How far an order has come."""

    spec: OrderSpec
    released: int = 0
    good: int = 0
    scrapped: int = 0
    released_at: float | None = None
    completed_at: float | None = None

    @property
    def done(self) -> bool:
        return self.released == self.spec.quantity and self.good + self.scrapped == self.released


@dataclass
class OrderBook:
    """The queue of orders of one line."""

    spec: SimSpec
    rng: np.random.Generator
    now: Callable[[], float]
    on_event: Callable[[str, OrderProgress], None]
    queue: deque[OrderSpec] = field(default_factory=deque)
    progress: dict[str, OrderProgress] = field(default_factory=dict)
    on_added: Callable[[], None] | None = None
    _generated: int = 0
    _part_ids: int = 0

    def __post_init__(self) -> None:
        self.queue.extend(self.spec.orders.explicit)
        self._products = {p.name: p for p in self.spec.products}
        self._shares = np.array([p.share for p in self.spec.products], dtype=np.float64)
        self._shares /= self._shares.sum()

    def add(self, order: OrderSpec) -> None:
        """Queue an order behind those already waiting."""
        if order.product not in self._products:
            raise ValueError(f"order {order.id!r} names unknown product {order.product!r}")
        self.queue.append(order)
        if self.on_added is not None:
            self.on_added()

    def _current(self) -> OrderSpec | None:
        while self.queue:
            head = self.queue[0]
            if self.progress.get(head.id, OrderProgress(head)).released < head.quantity:
                return head
            self.queue.popleft()
        if not self.spec.orders.generate:
            return None
        self.queue.append(self._generate())
        return self.queue[0]

    def _generate(self) -> OrderSpec:
        self._generated += 1
        product = self.spec.products[int(self.rng.choice(len(self.spec.products), p=self._shares))]
        low, high = self.spec.orders.quantity
        quantity = int(self.rng.integers(low, high + 1))
        return OrderSpec(id=f"WO-{self._generated:05d}", product=product.name, quantity=quantity)

    def next_part(self) -> Part | None:
        """The next part to start, or None when no order waits."""
        order = self._current()
        if order is None:
            return None
        return self.part_of(order)

    def part_of(self, order: OrderSpec) -> Part:
        """Release the next part of ``order``, queued or not (a planner's dispatch chooses)."""
        if order.product not in self._products:
            raise ValueError(f"order {order.id!r} names unknown product {order.product!r}")
        progress = self.progress.setdefault(order.id, OrderProgress(order))
        if progress.released == 0:
            progress.released_at = self.now()
            self.on_event("order.released", progress)
        progress.released += 1
        self._part_ids += 1
        product: ProductSpec = self._products[order.product]
        return Part(
            self._part_ids,
            order.id,
            order.product,
            frozenset(product.routing),
            product.cycle_factor,
        )

    def finished(self, part: Part, good: bool) -> None:
        """A part left the line (good) or was scrapped on the way."""
        progress = self.progress[part.order]
        if good:
            progress.good += 1
        else:
            progress.scrapped += 1
        if progress.done:
            progress.completed_at = self.now()
            self.on_event("order.completed", progress)
            del self.progress[part.order]
