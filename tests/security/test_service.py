"""The wired security service: login, permissions and an audit event for every write."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from shopfloor.bus.memory import MemoryBus, MemorySubscription
from shopfloor.model.clock import SimClock
from shopfloor.model.event import Event
from shopfloor.security import (
    ADMIN_PASSWORD_ENV,
    AuthenticationError,
    ForbiddenError,
    LastAdminError,
    LoginThrottledError,
    PasswordChangeRequiredError,
    PasswordPolicyError,
    Permission,
    Principal,
    Role,
    Security,
    SecurityDB,
    verify_chain,
)

from .conftest import CountingHasher

ADMIN_PASSWORD = "the admin's own passphrase"
PASSWORD = "correct horse battery"
OTHER = "purple monkey dishwasher"
CLIENT = "10.0.0.7"


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    instance = MemoryBus()
    yield instance
    await instance.close()


@pytest.fixture
def audit_feed(bus: MemoryBus) -> MemorySubscription:
    return bus.subscribe("acme/#")


@pytest.fixture
async def security(db: SecurityDB, bus: MemoryBus, clock: SimClock) -> Security:
    service = Security(db, bus, clock=clock, root_asset="acme", hasher=CountingHasher())
    await service.first_start(env={ADMIN_PASSWORD_ENV: ADMIN_PASSWORD})
    return service


@pytest.fixture
async def admin(security: Security) -> Principal:
    return (await security.login("admin", ADMIN_PASSWORD, client=CLIENT)).principal


def drain(sub: MemorySubscription) -> list[Event]:
    events: list[Event] = []
    while (message := sub.get_nowait()) is not None:
        assert isinstance(message, tuple)
        events.extend(message)
    return events


def kinds(sub: MemorySubscription) -> list[str]:
    return [e.kind for e in drain(sub)]


async def test_first_start_audits_the_admin_as_created_by_the_system(
    db: SecurityDB, bus: MemoryBus, clock: SimClock, audit_feed: MemorySubscription
) -> None:
    service = Security(db, bus, clock=clock, root_asset="acme", hasher=CountingHasher())
    password = await service.first_start(env={})
    assert password is not None
    event = drain(audit_feed)[0]
    assert (event.kind, event.actor, event.payload["user"]) == (
        "audit.user_created",
        "system",
        "admin",
    )
    assert password not in json.dumps(event.to_dict())


async def test_a_second_start_returns_no_password_and_audits_nothing(
    security: Security, audit_feed: MemorySubscription
) -> None:
    assert await security.first_start(env={}) is None
    assert drain(audit_feed) == []


async def test_a_login_gives_a_token_and_is_audited_without_secrets(
    security: Security, audit_feed: MemorySubscription, clock: SimClock
) -> None:
    issued = await security.login("admin", ADMIN_PASSWORD, client=CLIENT)
    event = drain(audit_feed)[0]
    assert (event.kind, event.actor, event.time_ns) == ("audit.login", "user:admin", clock.now_ns())
    assert issued.token not in json.dumps(event.to_dict())
    assert ADMIN_PASSWORD not in json.dumps(event.to_dict())
    assert security.authenticate(issued.token).user == "admin"


async def test_a_failed_login_is_audited_as_anonymous_with_the_attempted_name(
    security: Security, audit_feed: MemorySubscription
) -> None:
    with pytest.raises(AuthenticationError):
        await security.login("Admin", OTHER, client=CLIENT)
    event = drain(audit_feed)[0]
    assert (event.kind, event.actor) == ("audit.login_failed", "anonymous")
    assert event.payload == {**event.payload, "user": "admin", "client": CLIENT}
    assert OTHER not in json.dumps(event.to_dict())


async def test_a_failed_login_with_a_junk_name_does_not_copy_the_name(
    security: Security, audit_feed: MemorySubscription
) -> None:
    with pytest.raises(AuthenticationError):
        await security.login("x' OR 1=1 --", OTHER, client=CLIENT)
    assert drain(audit_feed)[0].payload["user"] == "<invalid>"


async def test_five_failures_lock_out_even_the_right_password(security: Security) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            await security.login("admin", OTHER, client=CLIENT)
    with pytest.raises(LoginThrottledError):
        await security.login("admin", ADMIN_PASSWORD, client=CLIENT)


async def test_logout_ends_the_session_and_is_audited(
    security: Security, audit_feed: MemorySubscription
) -> None:
    token = (await security.login("admin", ADMIN_PASSWORD, client=CLIENT)).token
    await security.logout(token)
    assert kinds(audit_feed) == ["audit.login", "audit.logout"]
    with pytest.raises(AuthenticationError):
        security.authenticate(token)


async def test_an_admin_creates_a_user_and_it_is_audited(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    user = await security.create_user(admin, "alice", PASSWORD, role=Role.OPERATOR)
    event = drain(audit_feed)[-1]
    assert (event.kind, event.actor) == ("audit.user_created", "user:admin")
    assert event.payload["user"] == "alice"
    assert event.payload["role"] == "operator"
    assert user.must_change_password


async def test_an_operator_may_not_create_users_and_nothing_is_audited(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    await security.create_user(admin, "alice", PASSWORD, role=Role.OPERATOR)
    drain(audit_feed)
    with pytest.raises(ForbiddenError):
        await security.create_user(Principal("alice", Role.OPERATOR), "bob", PASSWORD)
    assert drain(audit_feed) == []


async def test_a_new_user_must_change_the_password_before_anything_else(
    security: Security, admin: Principal
) -> None:
    await security.create_user(admin, "alice", PASSWORD, role=Role.OPERATOR)
    principal = (await security.login("alice", PASSWORD, client=CLIENT)).principal
    with pytest.raises(PasswordChangeRequiredError):
        principal.require(Permission.READ)


async def test_changing_ones_password_ends_old_sessions_and_starts_a_new_one(
    security: Security, admin: Principal
) -> None:
    await security.create_user(admin, "alice", PASSWORD, role=Role.OPERATOR)
    old = await security.login("alice", PASSWORD, client=CLIENT)
    new = await security.change_own_password(old.principal, PASSWORD, OTHER)
    with pytest.raises(AuthenticationError):
        security.authenticate(old.token)
    assert not security.authenticate(new.token).must_change_password


async def test_changing_ones_password_needs_the_current_one(
    security: Security, admin: Principal
) -> None:
    with pytest.raises(AuthenticationError):
        await security.change_own_password(admin, OTHER, PASSWORD)


async def test_a_role_change_is_audited_with_before_and_after(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    await security.create_user(admin, "alice", PASSWORD, role=Role.OPERATOR)
    await security.set_role(admin, "alice", Role.ENGINEER)
    event = drain(audit_feed)[-1]
    assert event.kind == "audit.role_changed"
    assert (event.payload["before"], event.payload["after"]) == ("operator", "engineer")


async def test_a_password_reset_is_audited_without_the_password(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    await security.create_user(admin, "alice", PASSWORD)
    user = await security.reset_password(admin, "alice", OTHER)
    event = drain(audit_feed)[-1]
    assert (event.kind, event.payload["reset"]) == ("audit.password_changed", True)
    assert OTHER not in json.dumps(event.to_dict())
    assert user.must_change_password


async def test_disabling_a_user_ends_their_session(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    await security.create_user(admin, "alice", PASSWORD, must_change_password=False)
    token = (await security.login("alice", PASSWORD, client=CLIENT)).token
    await security.disable_user(admin, "alice")
    assert drain(audit_feed)[-1].kind == "audit.user_disabled"
    with pytest.raises(AuthenticationError):
        security.authenticate(token)


async def test_the_last_admin_cannot_delete_themself(security: Security, admin: Principal) -> None:
    with pytest.raises(LastAdminError):
        await security.delete_user(admin, "admin")


async def test_only_admins_list_users(security: Security, admin: Principal) -> None:
    assert [u.name for u in security.list_users(admin)] == ["admin"]
    with pytest.raises(ForbiddenError):
        security.list_users(Principal("eve", Role.ENGINEER))


async def test_every_write_joins_one_verifiable_chain(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    await security.create_user(admin, "alice", PASSWORD)
    await security.set_role(admin, "alice", Role.OPERATOR)
    await security.disable_user(admin, "alice")
    await security.enable_user(admin, "alice")
    await security.delete_user(admin, "alice")
    events = drain(audit_feed)
    assert [e.kind for e in events] == [
        "audit.user_created",
        "audit.role_changed",
        "audit.user_disabled",
        "audit.user_enabled",
        "audit.user_deleted",
    ]
    assert verify_chain(events, prev=None, head=security.audit.head())


async def test_a_one_time_password_cannot_be_kept_as_the_new_one(
    security: Security, admin: Principal
) -> None:
    await security.create_user(admin, "alice", PASSWORD)
    alice = (await security.login("alice", PASSWORD, client=CLIENT)).principal
    with pytest.raises(PasswordPolicyError, match="differ"):
        await security.change_own_password(alice, PASSWORD, PASSWORD)


async def test_setting_the_role_a_user_already_has_changes_and_audits_nothing(
    security: Security, admin: Principal, audit_feed: MemorySubscription
) -> None:
    await security.create_user(admin, "alice", PASSWORD, role=Role.OPERATOR)
    drain(audit_feed)
    await security.set_role(admin, "alice", Role.OPERATOR)
    assert drain(audit_feed) == []
