"""The session contract, run against every security database backend."""

from __future__ import annotations

import pytest

from shopfloor.model.clock import SimClock
from shopfloor.security import (
    AuthenticationError,
    Role,
    SecurityDB,
    SessionManager,
    UserStore,
)

PASSWORD = "correct horse battery"
HOUR = 3600.0


@pytest.fixture
def sessions(db: SecurityDB, clock: SimClock, store: UserStore) -> SessionManager:
    store.create("alice", PASSWORD, role=Role.OPERATOR)
    store.create("bob", PASSWORD)
    return SessionManager(db, clock=clock, idle_timeout_s=12 * HOUR, lifetime_s=7 * 24 * HOUR)


def test_a_token_authenticates_its_user_and_role(sessions: SessionManager) -> None:
    token = sessions.issue("alice").token
    principal = sessions.authenticate(token)
    assert (principal.user, principal.role) == ("alice", Role.OPERATOR)


def test_tokens_are_long_random_and_url_safe(sessions: SessionManager) -> None:
    first, second = sessions.issue("alice").token, sessions.issue("alice").token
    assert len(first) >= 43
    assert first != second
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_issued_token_is_not_in_its_repr(sessions: SessionManager) -> None:
    issued = sessions.issue("alice")
    assert issued.token not in repr(issued)


def test_an_unknown_token_is_refused(sessions: SessionManager) -> None:
    with pytest.raises(AuthenticationError, match="invalid or expired session"):
        sessions.authenticate("not-a-token")


def test_a_non_ascii_or_huge_token_is_refused(sessions: SessionManager) -> None:
    with pytest.raises(AuthenticationError):
        sessions.authenticate("\ud800" + "x" * 40)
    with pytest.raises(AuthenticationError):
        sessions.authenticate("x" * 10_000)


def test_a_disabled_user_gets_no_session(sessions: SessionManager, store: UserStore) -> None:
    store.disable("bob")
    with pytest.raises(AuthenticationError):
        sessions.issue("bob")


def test_a_session_ends_after_the_idle_timeout(sessions: SessionManager, clock: SimClock) -> None:
    token = sessions.issue("alice").token
    clock.advance(12 * HOUR)
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_use_slides_the_idle_timeout(sessions: SessionManager, clock: SimClock) -> None:
    token = sessions.issue("alice").token
    clock.advance(11 * HOUR)
    sessions.authenticate(token)
    clock.advance(11 * HOUR)
    assert sessions.authenticate(token).user == "alice"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(
    sessions: SessionManager, clock: SimClock
) -> None:
    token = sessions.issue("alice").token
    for _ in range(7 * 24 - 1):
        clock.advance(HOUR)
        sessions.authenticate(token)
    clock.advance(HOUR)
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_a_revoked_token_is_refused(sessions: SessionManager) -> None:
    token = sessions.issue("alice").token
    assert sessions.revoke(token)
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_revoking_twice_finds_nothing_the_second_time(sessions: SessionManager) -> None:
    token = sessions.issue("alice").token
    sessions.revoke(token)
    assert not sessions.revoke(token)


def test_revoke_user_ends_that_users_sessions_only(sessions: SessionManager) -> None:
    alice = [sessions.issue("alice").token for _ in range(3)]
    bob = sessions.issue("bob").token
    assert sessions.revoke_user("alice") == 3
    assert sessions.active("alice") == 0
    assert sessions.authenticate(bob).user == "bob"
    with pytest.raises(AuthenticationError):
        sessions.authenticate(alice[0])


def test_a_password_change_ends_the_users_sessions(
    sessions: SessionManager, store: UserStore
) -> None:
    token = sessions.issue("alice").token
    store.set_password("alice", "purple monkey dishwasher")
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_a_role_change_ends_the_users_sessions(sessions: SessionManager, store: UserStore) -> None:
    token = sessions.issue("alice").token
    store.set_role("alice", Role.VIEWER)
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_disabling_a_user_ends_their_sessions(sessions: SessionManager, store: UserStore) -> None:
    token = sessions.issue("bob").token
    store.disable("bob")
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_a_new_user_of_a_deleted_name_does_not_inherit_its_sessions(
    sessions: SessionManager, store: UserStore
) -> None:
    token = sessions.issue("bob").token
    store.delete("bob")
    store.create("bob", PASSWORD, role=Role.ADMIN)
    with pytest.raises(AuthenticationError):
        sessions.authenticate(token)


def test_a_principal_carries_the_must_change_password_flag(
    sessions: SessionManager, store: UserStore
) -> None:
    store.create("carol", PASSWORD, must_change_password=True)
    assert sessions.authenticate(sessions.issue("carol").token).must_change_password


def test_purging_removes_ended_sessions(sessions: SessionManager, clock: SimClock) -> None:
    sessions.issue("alice")
    sessions.issue("bob")
    clock.advance(12 * HOUR)
    assert sessions.purge_expired() == 2
