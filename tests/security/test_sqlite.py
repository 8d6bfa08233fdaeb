"""What only the SQLite security database does: persist, version its schema, keep secrets out."""

from __future__ import annotations

import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from shopfloor.model.clock import SimClock
from shopfloor.security import (
    ChainHead,
    Role,
    SecurityStorageError,
    SessionManager,
    SQLiteSecurityDB,
    UserStore,
)
from shopfloor.security.sessions import token_digest
from shopfloor.security.sqlite import FILE_NAME, SCHEMA_VERSION

from .conftest import CountingHasher

PASSWORD = "correct horse battery"


def open_store(state: Path, clock: SimClock) -> tuple[SQLiteSecurityDB, UserStore]:
    db = SQLiteSecurityDB.in_state_dir(state)
    return db, UserStore(db.users, hasher=CountingHasher(), clock=clock)


def raw_rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(f"SELECT * FROM {table}").fetchall()


def test_users_persist_across_reopening(tmp_path: Path, clock: SimClock) -> None:
    db, store = open_store(tmp_path, clock)
    store.create("alice", PASSWORD, role=Role.ENGINEER)
    db.close()
    db, store = open_store(tmp_path, clock)
    assert store.verify("alice", PASSWORD).role is Role.ENGINEER
    db.close()


def test_sessions_persist_across_reopening(tmp_path: Path, clock: SimClock) -> None:
    db, store = open_store(tmp_path, clock)
    store.create("alice", PASSWORD)
    token = SessionManager(db, clock=clock).issue("alice").token
    db.close()
    db = SQLiteSecurityDB.in_state_dir(tmp_path)
    assert SessionManager(db, clock=clock).authenticate(token).user == "alice"
    db.close()


def test_the_audit_chain_head_persists_across_reopening(tmp_path: Path) -> None:
    with SQLiteSecurityDB.in_state_dir(tmp_path) as db:
        db.chain.advance(ChainHead(), ChainHead(1, "ab" * 32))
    with SQLiteSecurityDB.in_state_dir(tmp_path) as db:
        assert db.chain.head() == ChainHead(1, "ab" * 32)


def test_a_stale_chain_head_cannot_be_advanced(tmp_path: Path) -> None:
    with SQLiteSecurityDB.in_state_dir(tmp_path) as db:
        db.chain.advance(ChainHead(), ChainHead(1, "ab" * 32))
        with pytest.raises(SecurityStorageError, match="another writer"):
            db.chain.advance(ChainHead(), ChainHead(1, "cd" * 32))


def test_only_token_hashes_are_stored(tmp_path: Path, clock: SimClock) -> None:
    db, store = open_store(tmp_path, clock)
    store.create("alice", PASSWORD)
    token = SessionManager(db, clock=clock).issue("alice").token
    db.close()
    rows = raw_rows(tmp_path / FILE_NAME, "sessions")
    assert [row[0] for row in rows] == [token_digest(token)]
    assert token not in repr(rows)


def test_no_plaintext_password_is_stored(tmp_path: Path, clock: SimClock) -> None:
    db, store = open_store(tmp_path, clock)
    store.create("alice", PASSWORD)
    db.close()
    assert PASSWORD not in repr(raw_rows(tmp_path / FILE_NAME, "users"))
    assert PASSWORD.encode() not in (tmp_path / FILE_NAME).read_bytes()


def test_a_new_database_has_the_current_schema_version(tmp_path: Path) -> None:
    with SQLiteSecurityDB.in_state_dir(tmp_path) as db:
        assert db.schema_version() == SCHEMA_VERSION


def test_a_database_from_a_newer_shopfloor_is_refused(tmp_path: Path) -> None:
    SQLiteSecurityDB.in_state_dir(tmp_path).close()
    with sqlite3.connect(tmp_path / FILE_NAME) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SecurityStorageError, match="upgrade shopfloor"):
        SQLiteSecurityDB.in_state_dir(tmp_path)


def test_a_name_that_looks_like_sql_is_just_a_name(tmp_path: Path, clock: SimClock) -> None:
    db, store = open_store(tmp_path, clock)
    store.create("alice", PASSWORD)
    assert store.count() == 1
    assert db.users.get("alice' OR '1'='1") is None
    db.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_database_file_is_private_to_its_owner(tmp_path: Path) -> None:
    SQLiteSecurityDB.in_state_dir(tmp_path).close()
    mode = stat.S_IMODE((tmp_path / FILE_NAME).stat().st_mode)
    assert mode & 0o077 == 0


def test_an_unusable_state_directory_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SecurityStorageError, match="state directory"):
        SQLiteSecurityDB.in_state_dir(blocker / "state")
