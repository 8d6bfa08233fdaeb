"""The in-memory security database, for tests and throw-away demos.

It behaves like the SQLite one (the same contract suite runs against both) but forgets
everything when the process ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from shopfloor.security.errors import SecurityStorageError, UnknownUserError, UserExistsError
from shopfloor.security.records import ChainHead, SessionRecord, UserRecord

_Predicate = Callable[[SessionRecord], bool]


class _State:
    """Everything the memory database holds, behind one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, UserRecord] = {}
        self.sessions: dict[str, SessionRecord] = {}
        self.head = ChainHead()


class MemoryUserRecords:
    """Users in a dict."""

    def __init__(self, state: _State) -> None:
        self._s = state

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._s.lock:
            users, sessions = dict(self._s.users), dict(self._s.sessions)
            try:
                yield
            except BaseException:
                self._s.users, self._s.sessions = users, sessions
                raise

    def get(self, name: str) -> UserRecord | None:
        with self._s.lock:
            return self._s.users.get(name)

    def all(self) -> list[UserRecord]:
        with self._s.lock:
            return [self._s.users[n] for n in sorted(self._s.users)]

    def count(self) -> int:
        with self._s.lock:
            return len(self._s.users)

    def insert(self, record: UserRecord) -> None:
        with self._s.lock:
            if record.name in self._s.users:
                raise UserExistsError(f"user {record.name!r} already exists")
            self._s.users[record.name] = record

    def update(self, record: UserRecord) -> None:
        with self._s.lock:
            if record.name not in self._s.users:
                raise UnknownUserError(f"no user {record.name!r}")
            self._s.users[record.name] = record

    def delete(self, name: str) -> bool:
        with self._s.lock:
            if self._s.users.pop(name, None) is None:
                return False
            # Mirrors the SQLite foreign key: a deleted user's sessions go with them, so a
            # new user of the same name cannot inherit them.
            MemorySessionRecords(self._s).delete_user(name)
            return True


class MemorySessionRecords:
    """Sessions in a dict keyed by token hash."""

    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, record: SessionRecord) -> None:
        with self._s.lock:
            if record.user not in self._s.users:
                raise UnknownUserError(f"no user {record.user!r}")
            self._s.sessions[record.token_sha256] = record

    def get(self, token_sha256: str) -> SessionRecord | None:
        with self._s.lock:
            return self._s.sessions.get(token_sha256)

    def touch(self, token_sha256: str, last_used_ns: int) -> None:
        with self._s.lock:
            old = self._s.sessions.get(token_sha256)
            if old is not None:
                self._s.sessions[token_sha256] = _touched(old, last_used_ns)

    def delete(self, token_sha256: str) -> bool:
        with self._s.lock:
            return self._s.sessions.pop(token_sha256, None) is not None

    def delete_user(self, user: str) -> int:
        return self._delete_where(lambda r: r.user == user)

    def delete_expired(self, now_ns: int, idle_ns: int) -> int:
        return self._delete_where(
            lambda r: r.expires_ns <= now_ns or r.last_used_ns + idle_ns <= now_ns
        )

    def of_user(self, user: str) -> list[SessionRecord]:
        with self._s.lock:
            found = [r for r in self._s.sessions.values() if r.user == user]
        return sorted(found, key=lambda r: (r.created_ns, r.token_sha256))

    def _delete_where(self, doomed: _Predicate) -> int:
        with self._s.lock:
            keys = [k for k, r in self._s.sessions.items() if doomed(r)]
            for key in keys:
                del self._s.sessions[key]
            return len(keys)


class MemoryChainHeads:
    """The audit chain head in a variable."""

    def __init__(self, state: _State) -> None:
        self._s = state

    def head(self) -> ChainHead:
        with self._s.lock:
            return self._s.head

    def advance(self, expected: ChainHead, new: ChainHead) -> None:
        with self._s.lock:
            if self._s.head != expected:
                raise SecurityStorageError("the audit chain head moved: another writer?")
            self._s.head = new


class MemorySecurityDB:
    """A :class:`~shopfloor.security.records.SecurityDB` that lives in memory."""

    def __init__(self) -> None:
        state = _State()
        self._users = MemoryUserRecords(state)
        self._sessions = MemorySessionRecords(state)
        self._chain = MemoryChainHeads(state)

    @property
    def users(self) -> MemoryUserRecords:
        return self._users

    @property
    def sessions(self) -> MemorySessionRecords:
        return self._sessions

    @property
    def chain(self) -> MemoryChainHeads:
        return self._chain

    def close(self) -> None:
        """Nothing to release; present for the protocol."""


def _touched(record: SessionRecord, last_used_ns: int) -> SessionRecord:
    return replace(record, last_used_ns=max(record.last_used_ns, last_used_ns))
