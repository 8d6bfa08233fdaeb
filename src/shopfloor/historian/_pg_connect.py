"""The PostgreSQL historian's connection: where it points, how it is set up, what errors say.

A historian URL is a libpq connection URI plus one parameter of ours, ``schema``, which names
the PostgreSQL schema that holds the history (default ``shopfloor``); every other query
parameter (``sslmode``, ``connect_timeout``, ``application_name``, ...) goes to libpq as it
is. ``postgresql://historian@db.plant:5432/factory?schema=line2&sslmode=require``.

The historian holds one connection. It is opened in autocommit mode, with the schema as its
``search_path``; work that must be atomic opens a transaction of its own. When the
connection breaks (the server restarted, the network dropped), the next call opens a new
one: what was staged and not yet flushed is still staged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from shopfloor.model.errors import HistorianError

Conn = psycopg.Connection[tuple[Any, ...]]
Cur = psycopg.Cursor[tuple[Any, ...]]
T = TypeVar("T")

DEFAULT_SCHEMA = "shopfloor"
URL_SCHEMES = ("postgresql", "postgres")
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Enough to sort a day of one-second samples of a few tags in memory, not on disk.
_WORK_MEM = "64MB"
# The staging temp tables live in local buffers; the default 8 MB spills a big flush.
_TEMP_BUFFERS = "64MB"


@dataclass(frozen=True)
class Location:
    """A parsed historian URL: what libpq gets, the schema, and a printable form."""

    conninfo: str
    schema: str
    display: str


def check_schema_name(name: str) -> str:
    """``name`` if it is a plain identifier PostgreSQL keeps as it is, else HistorianError."""
    if not _SCHEMA_NAME.match(name):
        raise HistorianError(
            f"schema name {name!r}: use a letter or '_', then letters, digits or '_' (at most 63)"
        )
    return name


def parse_location(url: str, schema: str | None = None) -> Location:
    """Split ``url`` into libpq's part and the schema (``?schema=`` or ``schema``).

    A key=value connection string (``host=db dbname=plant``) is passed on as it is.

    >>> loc = parse_location("postgresql://al:secret@db/plant?schema=line2&sslmode=require")
    >>> loc.conninfo, loc.schema, loc.display
    ('postgresql://al:secret@db/plant?sslmode=require', 'line2', 'postgresql://al:***@db/plant')
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES:
        return Location(url, check_schema_name(schema or DEFAULT_SCHEMA), "PostgreSQL")
    query = parse_qsl(parts.query, keep_blank_values=True)
    in_url = [value for key, value in query if key == "schema"]
    if len(in_url) > 1 or (in_url and schema is not None and in_url[0] != schema):
        raise HistorianError(f"the historian URL and the arguments name different schemas: {url}")
    chosen = check_schema_name(in_url[0] if in_url else schema or DEFAULT_SCHEMA)
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    conninfo = urlunsplit(parts._replace(query=rest))
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    display = urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))
    return Location(conninfo, chosen, display)


class Session:
    """The historian's one connection: opened, set up, reopened after it broke, closed."""

    def __init__(self, location: Location, *, read_only: bool, connect_timeout_s: float) -> None:
        self.location = location
        self.read_only = read_only
        self.connect_timeout_s = connect_timeout_s
        self.generation = 0
        """Incremented at every (re)connection: per-connection state (temp tables) is gone."""
        self._con: Conn | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def connection(self) -> Conn:
        """The open connection; a broken or missing one is (re)opened first."""
        if self._closed:
            raise HistorianError(f"historian {self.location.display} is closed")
        if self._con is None or self._con.broken or self._con.closed:
            self._con = self._connect()
            self.generation += 1
        return self._con

    def _connect(self) -> Conn:
        given = conninfo_to_dict(self.location.conninfo)
        extra: dict[str, Any] = {}
        if "connect_timeout" not in given:
            extra["connect_timeout"] = max(1, round(self.connect_timeout_s))
        if "application_name" not in given:
            extra["application_name"] = "shopfloor historian"
        try:
            con = psycopg.connect(self.location.conninfo, autocommit=True, **extra)
        except psycopg.Error as exc:
            raise HistorianError(
                f"cannot connect to PostgreSQL at {self.location.display}: {exc}"
            ) from exc
        try:
            con.execute(self._settings())
        except psycopg.Error as exc:
            con.close()
            raise HistorianError(f"setting up {self.location.display}: {exc}") from exc
        return con

    def _settings(self) -> sql.Composed:
        settings: list[sql.Composable] = [
            sql.SQL("SET search_path TO {}").format(sql.Identifier(self.location.schema)),
            sql.SQL("SET work_mem = {}").format(sql.Literal(_WORK_MEM)),
            sql.SQL("SET temp_buffers = {}").format(sql.Literal(_TEMP_BUFFERS)),
            # A day's trend costs enough to trigger JIT compilation, which takes longer
            # (measured: 14 ms) than it saves on queries of this size.
            sql.SQL("SET jit = off"),
        ]
        if self.read_only:
            # The server refuses writes too, whatever a bug in here might try.
            settings.append(sql.SQL("SET default_transaction_read_only = on"))
        return sql.SQL("; ").join(settings)

    def run(self, doing: str, work: Callable[[Conn], T]) -> T:
        """``work(connection)``, database errors turned into HistorianError.

        When the connection turns out to have broken under the work (the server restarted,
        the network dropped), a new one is opened and the work runs once more: every piece
        of work given here is a read or one transaction, and a write done twice stores the
        same rows (idempotent appends), so running it again is safe.
        """
        con = self.connection()
        try:
            return work(con)
        except psycopg.Error as exc:
            if not (isinstance(exc, psycopg.OperationalError) and con.broken):
                raise self._error(doing, exc) from exc
        with self.errors(doing):
            return work(self.connection())

    def _error(self, doing: str, exc: psycopg.Error) -> HistorianError:
        return HistorianError(f"{self.location.display}: {doing}: {exc}")

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn database errors raised in the block into HistorianError."""
        try:
            yield
        except psycopg.Error as exc:
            raise self._error(doing, exc) from exc

    def close(self) -> None:
        """Close the connection; later calls raise HistorianError. Twice is harmless."""
        self._closed = True
        con, self._con = self._con, None
        if con is not None:
            con.close()
