"""Rows into PostgreSQL by ``COPY ... FROM STDIN (FORMAT BINARY)``.

Numeric samples are fixed-width rows, so their binary COPY stream is built by numpy: one
structured array per chunk, the field counts and lengths from a template row, the values
assigned column by column in network byte order. No Python object per sample is made; the
server parses binary fields without text conversion. Text samples and events have variable
widths; they go through psycopg's row writer, which is fast enough for their volumes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from psycopg import sql

from shopfloor.historian._pg_connect import Cur
from shopfloor.historian.staging import Rows
from shopfloor.model.event import Event

SAMPLE_COLUMNS = ("tag_id", "ts", "recv", "value", "status")
EVENT_COLUMNS = ("id", "ts", "asset", "kind", "severity", "payload", "actor")
_TEXT_TYPES = ("int4", "int8", "int8", "text", "int8")
_EVENT_TYPES = ("text", "int8", "text", "text", "int2", "text", "text")

# Signature, flags (no OIDs), header extension length (none): PostgreSQL's COPY BINARY.
_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = b"\xff\xff"
_CHUNK_ROWS = 1 << 16

_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("tag_len", ">i4"),
        ("tag_id", ">i4"),
        ("ts_len", ">i4"),
        ("ts", ">i8"),
        ("recv_len", ">i4"),
        ("recv", ">i8"),
        ("value_len", ">i4"),
        ("value", ">f8"),
        ("status_len", ">i4"),
        ("status", ">i8"),
    ]
)
_TEMPLATE = np.zeros(1, _ROW)
for _name, _width in (("tag", 4), ("ts", 8), ("recv", 8), ("value", 8), ("status", 8)):
    _TEMPLATE[f"{_name}_len"] = _width
_TEMPLATE["fields"] = len(SAMPLE_COLUMNS)


def _copy_into(table: str, columns: Sequence[str], binary: bool = True) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(" (FORMAT BINARY)" if binary else ""),
    )


def encode_samples(rows: Rows, start: int, stop: int) -> np.ndarray[tuple[int], np.dtype[np.void]]:
    """Rows ``start:stop`` as binary COPY tuples (no header, no trailer)."""
    out = np.repeat(_TEMPLATE, stop - start)
    out["tag_id"] = rows.tag[start:stop]
    out["ts"] = rows.ts[start:stop]
    out["recv"] = rows.recv[start:stop]
    out["value"] = rows.value[start:stop]
    out["status"] = rows.status[start:stop]
    return out


def copy_samples(cur: Cur, table: str, rows: Rows) -> None:
    """Numeric ``rows`` into ``table``, in chunks that bound the memory the encoding takes."""
    with cur.copy(_copy_into(table, SAMPLE_COLUMNS)) as copy:
        copy.write(_HEADER)
        for start in range(0, len(rows), _CHUNK_ROWS):
            copy.write(encode_samples(rows, start, min(start + _CHUNK_ROWS, len(rows))).data)
        copy.write(_TRAILER)


def copy_text_samples(cur: Cur, table: str, rows: Rows) -> None:
    """Text ``rows`` into ``table``."""
    with cur.copy(_copy_into(table, SAMPLE_COLUMNS)) as copy:
        copy.set_types(list(_TEXT_TYPES))
        columns = (rows.tag.tolist(), rows.ts.tolist(), rows.recv.tolist(), rows.value.tolist())
        for tag_id, ts, recv, value, status in zip(*columns, rows.status.tolist(), strict=True):
            copy.write_row((tag_id, ts, recv, value, status))


def copy_events(cur: Cur, table: str, events: Sequence[Event]) -> None:
    """``events`` into ``table``."""
    with cur.copy(_copy_into(table, EVENT_COLUMNS)) as copy:
        copy.set_types(list(_EVENT_TYPES))
        for e in events:
            copy.write_row(
                (e.id, e.time_ns, e.asset, e.kind, int(e.severity), e.payload_json(), e.actor)
            )
