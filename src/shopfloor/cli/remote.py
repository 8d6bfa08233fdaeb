"""Reading commands that ask a running shopfloor server instead of opening the database.

``shopfloor history`` and ``shopfloor oee`` take ``--api URL`` (or ``$SHOPFLOOR_API``); the
session token comes from ``$SHOPFLOOR_TOKEN`` (a token on the command line would show in the
process list). Times are resolved here and sent as absolute UTC, so the answer does not
depend on the server's idea of "now".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import numpy as np

from shopfloor.model.batch import SampleBatch, TextBatch
from shopfloor.model.errors import InputError, ShopfloorError
from shopfloor.model.times import format_time
from shopfloor.monitor.oee import OeeRecord

TOKEN_ENV = "SHOPFLOOR_TOKEN"


class ApiClient:
    """A minimal client of the shopfloor API for the command line."""

    def __init__(self, url: str, token: str | None, timeout_s: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--api {url!r} must be an http:// or https:// address")
        if not token:
            raise InputError(
                f"--api needs a session token in ${TOKEN_ENV} (log in at {url}/api/login)"
            )
        self.url = url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def get(self, path: str, params: dict[str, str | int]) -> Any:
        """GET ``path`` with ``params``; the server's error message becomes ours."""
        query = urllib.parse.urlencode(params)
        request = urllib.request.Request(
            f"{self.url}{path}?{query}", headers={"Authorization": f"Bearer {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _server_error(self.url, exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ShopfloorError(f"cannot reach the server at {self.url}: {exc}") from None


def _server_error(url: str, exc: urllib.error.HTTPError) -> ShopfloorError:
    try:
        message = json.loads(exc.read()).get("message", exc.reason)
    except (ValueError, AttributeError):
        message = exc.reason
    if exc.code in (400, 401, 403, 404, 422):
        return InputError(f"the server at {url} answered {exc.code}: {message}")
    return ShopfloorError(f"the server at {url} answered {exc.code}: {message}")


def _batch(series: dict[str, Any]) -> SampleBatch | TextBatch:
    n = len(series["ts"])
    columns = {
        "paths": (series["path"],),
        "tag": np.zeros(n, np.int32),
        "source_ns": np.asarray(series["ts"], np.int64),
        "receive_ns": np.asarray(series["ts"], np.int64),
        "status": np.asarray(series["status"], np.uint32),
    }
    values = series["value"]
    if any(isinstance(v, str) for v in values):
        texts = np.empty(n, dtype=object)
        texts[:] = ["" if v is None else str(v) for v in values]
        return TextBatch(value=texts, **columns)  # type: ignore[arg-type]
    numbers = np.array([np.nan if v is None else v for v in values], np.float64)
    return SampleBatch(value=numbers, **columns)  # type: ignore[arg-type]


def remote_history(
    client: ApiClient, path: str, start_ns: int, end_ns: int, every: str | None, agg: str
) -> list[SampleBatch | TextBatch]:
    """History from the server, page after page for raw samples of one tag."""
    params: dict[str, str | int] = {"path": path, "end": format_time(end_ns), "agg": agg}
    if every is not None:
        params["every"] = every
    start = format_time(start_ns)
    batches: list[SampleBatch | TextBatch] = []
    while start is not None:
        body = client.get("/api/history", {**params, "start": start, "limit": 100_000})
        batches.extend(_batch(s) for s in body["series"])
        start = body.get("next_start")
    return batches


def remote_oee(client: ApiClient, start_ns: int, end_ns: int, by: str) -> list[OeeRecord]:
    """OEE records computed by the server."""
    params: dict[str, str | int] = {
        "start": format_time(start_ns),
        "end": format_time(end_ns),
        "by": by,
    }
    return [OeeRecord.from_dict(d) for d in client.get("/api/oee", params)]
