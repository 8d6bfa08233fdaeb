"""Edge node and device sessions as the primary host tracks them.

A node session runs from an NBIRTH to the NDEATH whose ``bdSeq`` matches it (or to the next
NBIRTH). Every message of the node in between carries ``seq``, counting 0 to 255 and round
again; the NBIRTH starts it. A device session runs from its DBIRTH to its DDEATH, inside its
node's session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopfloor.connect.sparkplug.tables import MetricTable


@dataclass
class HostStats:
    """What the Sparkplug host has seen of its edge nodes (besides the connector counters)."""

    births: int = 0
    deaths: int = 0
    stale_deaths: int = 0
    seq_gaps: int = 0
    rebirth_requests: int = 0
    unknown_metrics: int = 0
    skipped_metrics: int = 0


@dataclass
class DeviceSession:
    """A device between its DBIRTH and DDEATH."""

    name: str
    table: MetricTable
    alive: bool = True


@dataclass
class NodeSession:
    """An edge node between its NBIRTH and NDEATH."""

    group: str
    node: str
    table: MetricTable
    bd_seq: int | None
    last_seq: int
    alive: bool = True
    devices: dict[str, DeviceSession] = field(default_factory=dict)
    newest_ms: int = -1  # the newest sample time of the node and its devices

    def saw(self, newest_ms: int) -> None:
        """Note the newest sample time of data just read."""
        if newest_ms > self.newest_ms:
            self.newest_ms = newest_ms

    def death_ns(self, at_ns: int) -> int:
        """When to mark the node's tags dead: at ``at_ns``, but after its newest sample, so
        that a mark never lands amid (or on) the data it invalidates when the edge clock
        runs ahead of ours (a skewed clock, a simulated plant)."""
        return max(at_ns, (self.newest_ms + 1) * 1_000_000)

    def follows(self, seq: int | None) -> bool:
        """Record ``seq``; False when it is not the one after the last (a gap)."""
        if seq is None:
            return False
        expected = (self.last_seq + 1) % 256
        self.last_seq = seq % 256
        return seq == expected

    def tags(self, device: str | None = None) -> tuple[set[int], set[int]]:
        """Numeric and text tag numbers of the node and its live devices, or of one device
        (a device that died already was marked at its own death)."""
        if device is not None:
            table = self.devices[device].table
            return set(table.tags_numeric), set(table.tags_text)
        numeric, text = set(self.table.tags_numeric), set(self.table.tags_text)
        for d in self.devices.values():
            if not d.alive:
                continue
            numeric |= d.table.tags_numeric
            text |= d.table.tags_text
        return numeric, text
