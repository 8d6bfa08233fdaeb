"""What the two historian benchmarks' command lines share.

``python -m bench.historian.run`` (DuckDB) and ``python -m bench.historian.postgres`` size
their plant from the same options, with ``--quick`` standing in smoke sizes, and run each
side in a fresh process.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

from bench.historian.workload import Workload

T = TypeVar("T")


def workload(args: argparse.Namespace, quick: Mapping[str, int]) -> Workload:
    """The plant the options ask for; with ``--quick``, ``quick``'s sizes replace them."""
    sizes = quick if args.quick else {}
    return Workload(
        tags=sizes.get("tags", args.tags),
        seconds=sizes.get("seconds", args.seconds),
        batch_seconds=sizes.get("batch_seconds", args.batch_seconds),
        queries=sizes.get("queries", args.queries),
        seed=args.seed,
    )


def in_child(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` in a fresh process: its own peak memory, nothing left from another."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
