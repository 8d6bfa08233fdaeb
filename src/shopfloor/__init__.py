"""shopfloor: an open-source smart-factory platform.

The kernel lives in :mod:`shopfloor.model` (asset model, tags, batches, events,
states, calendars, clocks) and :mod:`shopfloor.bus` (the in-process bus).
Everything else depends inward on it.
"""

__version__ = "0.1.0"
