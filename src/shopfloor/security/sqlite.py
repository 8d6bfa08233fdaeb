"""The security database in one SQLite file under the state directory.

One file, ``security.sqlite3``, created readable by its owner only, holds the users, the
sessions and the audit chain head. The schema is versioned with ``PRAGMA user_version`` and
upgraded in place by the migrations in :data:`MIGRATIONS`; a file written by a newer
shopfloor is refused rather than guessed at. Every statement is parameterised.

One connection serves all threads behind a lock (API workers call in from a thread pool);
writes that must be atomic run in ``BEGIN IMMEDIATE`` transactions, so a second process
using the same file waits for the lock instead of interleaving.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     with SQLiteSecurityDB.in_state_dir(tmp) as db:
...         db.users.count()
0
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from shopfloor.security.errors import SecurityStorageError, UnknownUserError, UserExistsError
from shopfloor.security.records import GENESIS_HASH, ChainHead, SessionRecord, UserRecord
from shopfloor.security.roles import Role

FILE_NAME = "security.sqlite3"
_ROLES = ", ".join(f"'{r.label}'" for r in Role)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"""CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ({_ROLES})),
            password_hash TEXT NOT NULL,
            created_ns INTEGER NOT NULL,
            updated_ns INTEGER NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            must_change_password INTEGER NOT NULL DEFAULT 0
                CHECK (must_change_password IN (0, 1)),
            epoch INTEGER NOT NULL DEFAULT 0
        )""",
        f"""CREATE TABLE sessions (
            token_sha256 TEXT PRIMARY KEY,
            user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ({_ROLES})),
            epoch INTEGER NOT NULL,
            created_ns INTEGER NOT NULL,
            last_used_ns INTEGER NOT NULL,
            expires_ns INTEGER NOT NULL
        )""",
        "CREATE INDEX sessions_by_user ON sessions (user)",
        """CREATE TABLE audit_chain (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL
        )""",
        f"INSERT INTO audit_chain (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')",
    ),
)
"""``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)

_USER_COLUMNS = (
    "name, role, password_hash, created_ns, updated_ns, disabled, must_change_password, epoch"
)
_SESSION_COLUMNS = "token_sha256, user, role, epoch, created_ns, last_used_ns, expires_ns"


class _Connection:
    """One SQLite connection shared by threads, with re-entrant transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        with _wrapped("open"):
            _create_private(path)
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, _wrapped("write"):
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, _wrapped("read"):
            return list(self._db.execute(sql, params).fetchall())

    def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._lock, _wrapped("write"):
            return self._db.execute(sql, params).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SQLiteUserRecords:
    """Users in the ``users`` table."""

    def __init__(self, db: _Connection) -> None:
        self._db = db

    def transaction(self) -> AbstractContextManager[None]:
        return self._db.transaction()

    def get(self, name: str) -> UserRecord | None:
        rows = self._db.rows(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,))
        return _user(rows[0]) if rows else None

    def all(self) -> list[UserRecord]:
        return [_user(r) for r in self._db.rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]

    def count(self) -> int:
        return int(self._db.rows("SELECT count(*) FROM users")[0][0])

    def insert(self, record: UserRecord) -> None:
        try:
            self._db.write(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                _user_row(record),
            )
        except SecurityStorageError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise UserExistsError(f"user {record.name!r} already exists") from None
            raise

    def update(self, record: UserRecord) -> None:
        row = _user_row(record)
        changed = self._db.write(
            "UPDATE users SET role = ?, password_hash = ?, created_ns = ?, updated_ns = ?,"
            " disabled = ?, must_change_password = ?, epoch = ? WHERE name = ?",
            (*row[1:], row[0]),
        )
        if not changed:
            raise UnknownUserError(f"no user {record.name!r}")

    def delete(self, name: str) -> bool:
        return self._db.write("DELETE FROM users WHERE name = ?", (name,)) > 0


class SQLiteSessionRecords:
    """Sessions in the ``sessions`` table, keyed by token hash."""

    def __init__(self, db: _Connection) -> None:
        self._db = db

    def add(self, record: SessionRecord) -> None:
        try:
            self._db.write(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.token_sha256,
                    record.user,
                    record.role.label,
                    record.epoch,
                    record.created_ns,
                    record.last_used_ns,
                    record.expires_ns,
                ),
            )
        except SecurityStorageError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise UnknownUserError(f"no user {record.user!r}") from None
            raise

    def get(self, token_sha256: str) -> SessionRecord | None:
        rows = self._db.rows(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE token_sha256 = ?", (token_sha256,)
        )
        return _session(rows[0]) if rows else None

    def touch(self, token_sha256: str, last_used_ns: int) -> None:
        self._db.write(
            "UPDATE sessions SET last_used_ns = max(last_used_ns, ?) WHERE token_sha256 = ?",
            (last_used_ns, token_sha256),
        )

    def delete(self, token_sha256: str) -> bool:
        return self._db.write("DELETE FROM sessions WHERE token_sha256 = ?", (token_sha256,)) > 0

    def delete_user(self, user: str) -> int:
        return self._db.write("DELETE FROM sessions WHERE user = ?", (user,))

    def delete_expired(self, now_ns: int, idle_ns: int) -> int:
        return self._db.write(
            "DELETE FROM sessions WHERE expires_ns <= ? OR last_used_ns + ? <= ?",
            (now_ns, idle_ns, now_ns),
        )

    def of_user(self, user: str) -> list[SessionRecord]:
        rows = self._db.rows(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE user = ?"
            " ORDER BY created_ns, token_sha256",
            (user,),
        )
        return [_session(r) for r in rows]


class SQLiteChainHeads:
    """The audit chain head in the one-row ``audit_chain`` table."""

    def __init__(self, db: _Connection) -> None:
        self._db = db

    def head(self) -> ChainHead:
        seq, digest = self._db.rows("SELECT seq, hash FROM audit_chain WHERE id = 1")[0]
        return ChainHead(int(seq), str(digest))

    def advance(self, expected: ChainHead, new: ChainHead) -> None:
        changed = self._db.write(
            "UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ?",
            (new.seq, new.hash, expected.seq, expected.hash),
        )
        if not changed:
            raise SecurityStorageError("the audit chain head moved: another writer?")


class SQLiteSecurityDB:
    """A :class:`~shopfloor.security.records.SecurityDB` in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._db = _Connection(Path(path))
        _migrate(self._db)
        self._users = SQLiteUserRecords(self._db)
        self._sessions = SQLiteSessionRecords(self._db)
        self._chain = SQLiteChainHeads(self._db)

    @classmethod
    def in_state_dir(cls, state_dir: str | os.PathLike[str]) -> SQLiteSecurityDB:
        """Open (creating if needed) ``security.sqlite3`` in ``state_dir``."""
        directory = Path(state_dir)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise SecurityStorageError(
                f"cannot create state directory {directory}: {exc.strerror}"
            ) from exc
        return cls(directory / FILE_NAME)

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def users(self) -> SQLiteUserRecords:
        return self._users

    @property
    def sessions(self) -> SQLiteSessionRecords:
        return self._sessions

    @property
    def chain(self) -> SQLiteChainHeads:
        return self._chain

    def schema_version(self) -> int:
        return int(self._db.rows("PRAGMA user_version")[0][0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteSecurityDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _migrate(db: _Connection) -> None:
    with db.transaction():
        version = int(db.rows("PRAGMA user_version")[0][0])
        if version > SCHEMA_VERSION:
            raise SecurityStorageError(
                f"{db.path} has security schema version {version}, newer than this"
                f" shopfloor's {SCHEMA_VERSION}: upgrade shopfloor to open it"
            )
        for target in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[target]:
                db.write(statement)
            # PRAGMA takes no parameters; the value is our own integer.
            db.write(f"PRAGMA user_version = {target + 1}")


def _create_private(path: Path) -> None:
    """Create the database file readable and writable by its owner only."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


@contextmanager
def _wrapped(action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise SecurityStorageError(f"security database {action} failed: {exc}") from exc
    except OSError as exc:
        raise SecurityStorageError(f"security database {action} failed: {exc.strerror}") from exc


def _user(row: Sequence[Any]) -> UserRecord:
    name, role, password_hash, created, updated, disabled, must_change, epoch = row
    return UserRecord(
        name=str(name),
        role=Role.parse(role),
        password_hash=str(password_hash),
        created_ns=int(created),
        updated_ns=int(updated),
        disabled=bool(disabled),
        must_change_password=bool(must_change),
        epoch=int(epoch),
    )


def _user_row(r: UserRecord) -> tuple[Any, ...]:
    return (
        r.name,
        r.role.label,
        r.password_hash,
        r.created_ns,
        r.updated_ns,
        int(r.disabled),
        int(r.must_change_password),
        r.epoch,
    )


def _session(row: Sequence[Any]) -> SessionRecord:
    token_sha256, user, role, epoch, created, last_used, expires = row
    return SessionRecord(
        token_sha256=str(token_sha256),
        user=str(user),
        role=Role.parse(role),
        epoch=int(epoch),
        created_ns=int(created),
        last_used_ns=int(last_used),
        expires_ns=int(expires),
    )
