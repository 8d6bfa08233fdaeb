"""A second process for the multi-process tests.

``python _child.py hold PATH``: open PATH for writing (exclusive), print ``ready``, keep the
file until a line (or end of file) arrives on stdin.
``python _child.py write PATH BATCHES``: as a shared-mode writer, print ``ready``, then append
and flush BATCHES batches of ten samples of one tag, pausing a little between flushes.
"""

from __future__ import annotations

import sys
import time

from shopfloor.historian.duckdb import DuckDBHistorian
from shopfloor.model.batch import SampleBatch

TAG = "acme/site/line1/press/temp"
PAUSE_S = 0.02


def hold(path: str) -> None:
    historian = DuckDBHistorian(path)
    print("ready", flush=True)
    sys.stdin.readline()
    historian.close()


def write(path: str, batches: int) -> None:
    historian = DuckDBHistorian(path, mode="shared")
    print("ready", flush=True)
    for i in range(batches):
        historian.append(SampleBatch.of(TAG, range(10 * i, 10 * i + 10), [float(i)] * 10))
        historian.flush()
        time.sleep(PAUSE_S)
    historian.close()


if __name__ == "__main__":
    command, path, *rest = sys.argv[1:]
    hold(path) if command == "hold" else write(path, int(rest[0]))
