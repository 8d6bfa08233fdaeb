"""First start: an admin without a default password."""

from __future__ import annotations

import logging

import pytest

from shopfloor.model.clock import SimClock
from shopfloor.security import (
    ADMIN_PASSWORD_ENV,
    MemorySecurityDB,
    PasswordPolicyError,
    Role,
    UserStore,
    ensure_admin,
)

from .conftest import CountingHasher

PASSWORD = "correct horse battery"


def test_first_start_creates_an_admin_with_a_random_password(store: UserStore) -> None:
    password = ensure_admin(store, env={})
    assert password is not None
    assert len(password) >= 20
    assert store.verify("admin", password).role is Role.ADMIN


def test_a_random_admin_password_must_be_changed_at_first_login(store: UserStore) -> None:
    ensure_admin(store, env={})
    assert store.get("admin").must_change_password


def test_the_random_password_is_returned_only_once(store: UserStore) -> None:
    ensure_admin(store, env={})
    assert ensure_admin(store, env={}) is None


def test_two_installations_get_different_admin_passwords(clock: SimClock) -> None:
    first = UserStore(MemorySecurityDB().users, hasher=CountingHasher(), clock=clock)
    second = UserStore(MemorySecurityDB().users, hasher=CountingHasher(), clock=clock)
    assert ensure_admin(first, env={}) != ensure_admin(second, env={})


def test_the_admin_password_can_come_from_the_environment(store: UserStore) -> None:
    assert ensure_admin(store, env={ADMIN_PASSWORD_ENV: PASSWORD}) is None
    assert store.verify("admin", PASSWORD).role is Role.ADMIN


def test_an_admin_password_from_the_environment_need_not_be_changed(store: UserStore) -> None:
    ensure_admin(store, env={ADMIN_PASSWORD_ENV: PASSWORD})
    assert not store.get("admin").must_change_password


def test_a_weak_password_in_the_environment_is_refused_by_name(store: UserStore) -> None:
    with pytest.raises(PasswordPolicyError, match=ADMIN_PASSWORD_ENV) as caught:
        ensure_admin(store, env={ADMIN_PASSWORD_ENV: "admin123"})
    assert "admin123" not in str(caught.value)
    assert store.count() == 0


def test_an_empty_password_in_the_environment_is_refused(store: UserStore) -> None:
    with pytest.raises(PasswordPolicyError, match="set but empty"):
        ensure_admin(store, env={ADMIN_PASSWORD_ENV: ""})


def test_an_installation_with_users_gets_no_new_admin(store: UserStore) -> None:
    store.create("alice", PASSWORD, role=Role.ADMIN)
    assert ensure_admin(store, env={}) is None
    assert [u.name for u in store.list_users()] == ["alice"]


def test_the_generated_password_is_never_logged(
    store: UserStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = ensure_admin(store, env={})
    assert password is not None
    assert password not in caplog.text
