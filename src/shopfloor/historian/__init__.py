"""History: samples, text samples and events, stored and queried.

:class:`Historian` is the protocol every store implements (its module states the rules);
:class:`DuckDBHistorian` is the embedded one; :class:`AsyncHistorian` serves any of them to
async code; :func:`open_historian` opens one by URL or path.
"""

from shopfloor.historian.aio import AsyncHistorian
from shopfloor.historian.base import (
    Aggregate,
    Downsampled,
    Historian,
    RetentionPolicy,
    RetentionReport,
)
from shopfloor.historian.duckdb import DuckDBHistorian
from shopfloor.historian.registry import open_historian

__all__ = [
    "Aggregate",
    "AsyncHistorian",
    "Downsampled",
    "DuckDBHistorian",
    "Historian",
    "RetentionPolicy",
    "RetentionReport",
    "open_historian",
]
