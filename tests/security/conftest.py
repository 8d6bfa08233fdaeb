"""Fixtures for the security tests: a cheap argon2 hasher that counts, a simulated clock,
and every security database backend, so that contract tests run against each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shopfloor.model.clock import NS_PER_S, SimClock
from shopfloor.security import (
    Argon2Hasher,
    MemorySecurityDB,
    SecurityDB,
    SQLiteSecurityDB,
    UserStore,
)

START_NS = 1_750_000_000 * NS_PER_S


class CountingHasher:
    """argon2 with the smallest costs, counting calls: the outer boundary of the store."""

    def __init__(self, time_cost: int = 1) -> None:
        self._inner = Argon2Hasher(time_cost=time_cost, memory_cost=8, parallelism=1)
        self.hashes = 0
        self.verifies = 0

    def hash(self, password: str) -> str:
        self.hashes += 1
        return self._inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.verifies += 1
        return self._inner.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._inner.needs_rehash(password_hash)


BACKENDS: dict[str, Callable[[Path], SecurityDB]] = {
    "memory": lambda _: MemorySecurityDB(),
    "sqlite": lambda tmp: SQLiteSecurityDB.in_state_dir(tmp / "state"),
}


@pytest.fixture(params=sorted(BACKENDS))
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecurityDB]:
    instance = BACKENDS[request.param](tmp_path)
    yield instance
    instance.close()


@pytest.fixture
def clock() -> SimClock:
    return SimClock(start_ns=START_NS)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def store(db: SecurityDB, hasher: CountingHasher, clock: SimClock) -> UserStore:
    return UserStore(db.users, hasher=hasher, clock=clock)
