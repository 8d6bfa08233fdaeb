"""The shopfloor exception tree, drawn once.

::

    ShopfloorError                  root of everything shopfloor raises on purpose
     +-- ConfigError                a plant file or a setting is wrong (names file, key, line)
     +-- InputError                 a user-supplied value (time, duration, CSV row) is wrong
     +-- BusError                   the bus is closed or a subscription is misused
     |    +-- BusClosedError
     +-- HistorianError             the history store failed or was misused
          +-- HistorianLockedError  another process holds the database file for writing

Each error carries a machine-readable ``code``. The command line prints ``str(error)``
on one line and exits with status 2 for ``ConfigError`` and ``InputError``, 1 otherwise.
Library errors are wrapped at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class ShopfloorError(Exception):
    """Root of every error shopfloor raises on purpose."""

    code = "shopfloor"


class ConfigError(ShopfloorError):
    """A plant file or setting is invalid; the message names the file, key or line."""

    code = "config"


class InputError(ShopfloorError):
    """A value supplied by the user (a time, a duration, a CSV row) cannot be used."""

    code = "input"


class BusError(ShopfloorError):
    """The bus was misused."""

    code = "bus"


class BusClosedError(BusError):
    """Publishing to, or reading from, a bus that has been closed."""

    code = "bus.closed"


class HistorianError(ShopfloorError):
    """The history store failed or was asked for something it cannot do."""

    code = "historian"


class HistorianLockedError(HistorianError):
    """Another process holds the database file for writing and did not release it in time."""

    code = "historian.locked"
