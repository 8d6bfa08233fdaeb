"""The bus: batches and events from publishers to subscribers, with backpressure."""

from shopfloor.bus.base import Bus, Message, Overflow, Subscription, SubscriptionStats
from shopfloor.bus.memory import MemoryBus, MemorySubscription

__all__ = [
    "Bus",
    "MemoryBus",
    "MemorySubscription",
    "Message",
    "Overflow",
    "Subscription",
    "SubscriptionStats",
]
