"""Open a historian by URL: the scheme picks the backend.

``open_historian("history.duckdb")`` and ``open_historian("duckdb:///var/lib/h.duckdb")``
open the embedded DuckDB historian; a plain path (no scheme) means DuckDB.
``open_historian("postgresql://user@host/db?schema=plant1")`` (or ``postgres://``) opens the
PostgreSQL historian in that schema (default ``shopfloor``). Another backend plugs in with
:func:`register_backend`, naming its URL schemes and a factory that takes the URL and the
keyword arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from shopfloor.historian.base import Historian
from shopfloor.model.errors import HistorianError

Factory = Callable[..., Historian]
"""``factory(url, **kw) -> Historian``."""

_BACKENDS: dict[str, Factory] = {}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def register_backend(schemes: tuple[str, ...], factory: Factory) -> None:
    """Make ``open_historian`` hand URLs with these schemes to ``factory``."""
    for scheme in schemes:
        _BACKENDS[scheme.lower()] = factory


def scheme_of(url_or_path: str) -> str:
    """The URL scheme, or ``duckdb`` for a plain file path."""
    match = _SCHEME.match(url_or_path)
    return match.group(1).lower() if match else "duckdb"


def open_historian(url_or_path: str, **kw: Any) -> Historian:
    """Open the historian that ``url_or_path`` names; ``kw`` go to the backend.

    >>> open_historian("influx://localhost/plant")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    shopfloor.model.errors.HistorianError: no historian backend for influx:// (known: ...)
    """
    scheme = scheme_of(url_or_path)
    factory = _BACKENDS.get(scheme)
    if factory is None:
        known = ", ".join(sorted(_BACKENDS))
        raise HistorianError(f"no historian backend for {scheme}:// (known: {known})")
    return factory(url_or_path, **kw)


def _open_duckdb(url_or_path: str, **kw: Any) -> Historian:
    from shopfloor.historian.duckdb import DuckDBHistorian

    path = url_or_path.removeprefix("duckdb://")
    if not path:
        raise HistorianError("a DuckDB historian URL needs a file path: duckdb:///path/file")
    return DuckDBHistorian(path, **kw)


def _open_postgres(url: str, **kw: Any) -> Historian:
    # Imported here: psycopg is loaded only by those who use PostgreSQL.
    from shopfloor.historian.postgres import PostgresHistorian

    return PostgresHistorian(url, **kw)


register_backend(("duckdb",), _open_duckdb)
register_backend(("postgresql", "postgres"), _open_postgres)
