"""The user store contract, run against every security database backend."""

from __future__ import annotations

import dataclasses

import pytest

from shopfloor.model.clock import SimClock
from shopfloor.security import (
    AuthenticationError,
    LastAdminError,
    PasswordPolicyError,
    Role,
    SecurityDB,
    UnknownUserError,
    UserExistsError,
    UserNameError,
    UserStore,
)
from shopfloor.security.users import LOGIN_FAILED

from .conftest import CountingHasher

PASSWORD = "correct horse battery"
OTHER = "purple monkey dishwasher"


def test_a_stored_user_keeps_only_a_hash_of_the_password(store: UserStore, db: SecurityDB) -> None:
    store.create("alice", PASSWORD)
    record = db.users.get("alice")
    assert record is not None
    assert record.password_hash.startswith("$argon2id$")
    assert PASSWORD not in record.password_hash


def test_the_public_user_has_no_password_hash(store: UserStore) -> None:
    user = store.create("alice", PASSWORD)
    assert "password_hash" not in {f.name for f in dataclasses.fields(user)}


def test_names_are_stored_lower_case(store: UserStore) -> None:
    assert store.create("  Alice ", PASSWORD).name == "alice"


def test_a_name_with_a_space_is_refused(store: UserStore) -> None:
    with pytest.raises(UserNameError):
        store.create("alice smith", PASSWORD)


def test_a_taken_name_is_refused_in_any_case(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    with pytest.raises(UserExistsError):
        store.create("ALICE", OTHER)


def test_a_new_user_is_a_viewer_by_default(store: UserStore) -> None:
    assert store.create("alice", PASSWORD).role is Role.VIEWER


def test_create_applies_the_password_policy(store: UserStore) -> None:
    with pytest.raises(PasswordPolicyError):
        store.create("alice", "too short")


def test_the_right_password_verifies_the_user(store: UserStore) -> None:
    store.create("alice", PASSWORD, role=Role.OPERATOR)
    assert store.verify("Alice", PASSWORD).role is Role.OPERATOR


def test_a_wrong_password_fails_with_the_common_message(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    with pytest.raises(AuthenticationError, match=LOGIN_FAILED):
        store.verify("alice", OTHER)


def test_an_unknown_user_fails_with_the_same_message(store: UserStore) -> None:
    with pytest.raises(AuthenticationError, match=LOGIN_FAILED):
        store.verify("mallory", PASSWORD)


def test_an_unknown_user_still_costs_one_hash_check(
    store: UserStore, hasher: CountingHasher
) -> None:
    store.create("alice", PASSWORD)
    before = hasher.verifies
    with pytest.raises(AuthenticationError):
        store.verify("mallory", PASSWORD)
    assert hasher.verifies == before + 1


def test_an_invalid_name_at_login_still_costs_one_hash_check(
    store: UserStore, hasher: CountingHasher
) -> None:
    with pytest.raises(AuthenticationError):
        store.verify("not a name!", PASSWORD)
    assert hasher.verifies == 1


def test_a_disabled_user_cannot_log_in_even_with_the_right_password(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    store.disable("alice")
    with pytest.raises(AuthenticationError, match=LOGIN_FAILED):
        store.verify("alice", PASSWORD)


def test_an_enabled_again_user_can_log_in(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    store.disable("alice")
    store.enable("alice")
    assert store.verify("alice", PASSWORD).name == "alice"


def test_a_new_password_replaces_the_old_one(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    store.set_password("alice", OTHER)
    assert store.verify("alice", OTHER).name == "alice"
    with pytest.raises(AuthenticationError):
        store.verify("alice", PASSWORD)


def test_a_new_password_equal_to_the_name_is_refused(store: UserStore) -> None:
    store.create("operator-line2", PASSWORD)
    with pytest.raises(PasswordPolicyError, match="user name"):
        store.set_password("operator-line2", "OPERATOR-LINE2")


def test_the_password_matches_however_its_unicode_is_composed(store: UserStore) -> None:
    store.create("alice", "caf\u00e9 au lait 2024")
    assert store.verify("alice", "cafe\u0301 au lait 2024").name == "alice"


def test_an_old_hash_is_upgraded_at_login(db: SecurityDB, clock: SimClock) -> None:
    UserStore(db.users, hasher=CountingHasher(time_cost=1), clock=clock).create("alice", PASSWORD)
    stronger = CountingHasher(time_cost=2)
    UserStore(db.users, hasher=stronger, clock=clock).verify("alice", PASSWORD)
    record = db.users.get("alice")
    assert record is not None
    assert not stronger.needs_rehash(record.password_hash)
    assert stronger.verify(record.password_hash, PASSWORD)


def test_a_change_updates_the_time_but_not_the_creation_time(
    store: UserStore, clock: SimClock
) -> None:
    created = store.create("alice", PASSWORD)
    clock.advance(60)
    changed = store.set_role("alice", Role.ENGINEER)
    assert changed.created_ns == created.created_ns
    assert changed.updated_ns == created.updated_ns + 60 * 1_000_000_000


def test_users_are_listed_by_name(store: UserStore) -> None:
    store.create("carol", PASSWORD)
    store.create("alice", PASSWORD)
    assert [u.name for u in store.list_users()] == ["alice", "carol"]


def test_a_deleted_user_is_gone(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    store.delete("alice")
    with pytest.raises(UnknownUserError):
        store.get("alice")


def test_changing_an_unknown_user_says_so(store: UserStore) -> None:
    with pytest.raises(UnknownUserError, match="mallory"):
        store.set_role("mallory", Role.ADMIN)


def test_the_last_admin_cannot_be_demoted(store: UserStore) -> None:
    store.create("root", PASSWORD, role=Role.ADMIN)
    with pytest.raises(LastAdminError, match="last enabled admin"):
        store.set_role("root", Role.ENGINEER)
    assert store.get("root").role is Role.ADMIN


def test_the_last_admin_cannot_be_disabled(store: UserStore) -> None:
    store.create("root", PASSWORD, role=Role.ADMIN)
    with pytest.raises(LastAdminError):
        store.disable("root")
    assert not store.get("root").disabled


def test_the_last_admin_cannot_be_deleted(store: UserStore) -> None:
    store.create("root", PASSWORD, role=Role.ADMIN)
    with pytest.raises(LastAdminError):
        store.delete("root")
    assert store.get("root").role is Role.ADMIN


def test_a_disabled_admin_does_not_count_as_another_admin(store: UserStore) -> None:
    store.create("root", PASSWORD, role=Role.ADMIN)
    store.create("spare", PASSWORD, role=Role.ADMIN)
    store.disable("spare")
    with pytest.raises(LastAdminError):
        store.set_role("root", Role.VIEWER)


def test_one_of_two_admins_can_be_demoted(store: UserStore) -> None:
    store.create("root", PASSWORD, role=Role.ADMIN)
    store.create("spare", PASSWORD, role=Role.ADMIN)
    assert store.set_role("root", Role.VIEWER).role is Role.VIEWER


def test_a_password_change_moves_the_users_epoch(store: UserStore, db: SecurityDB) -> None:
    store.create("alice", PASSWORD)
    store.set_password("alice", OTHER)
    record = db.users.get("alice")
    assert record is not None
    assert record.epoch == 1


def test_an_admin_reset_makes_the_user_choose_a_new_password(store: UserStore) -> None:
    store.create("alice", PASSWORD)
    assert store.set_password("alice", OTHER, must_change_password=True).must_change_password


def test_a_megabyte_password_is_just_wrong(store: UserStore, hasher: CountingHasher) -> None:
    store.create("alice", PASSWORD)
    with pytest.raises(AuthenticationError):
        store.verify("alice", "x" * 1_000_000)
    assert hasher.verifies == 1
