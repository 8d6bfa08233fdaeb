"""The security of one installation, wired together for the API and the command line.

:class:`Security` joins the user store, sessions, login throttle and audit trail so that
every write is checked against the caller's permissions and audited in one place, and a
route only has to call one method. Password hashing runs in a worker thread: argon2 is
slow on purpose and must not stall the event loop.

The flows::

    login      throttle check -> password check -> token    (audit.login / audit.login_failed)
    any route  authenticate(token) -> Principal -> Principal.require(permission)
    user admin require user_admin -> change -> end the user's sessions -> audit.*
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TypeVar

from shopfloor.bus.base import Bus
from shopfloor.model.clock import Clock
from shopfloor.model.event import JsonValue, Severity
from shopfloor.security.audit import AuditAction, AuditTrail
from shopfloor.security.bootstrap import ADMIN_NAME, ensure_admin
from shopfloor.security.errors import (
    AuthenticationError,
    LoginThrottledError,
    PasswordPolicyError,
    UserNameError,
)
from shopfloor.security.passwords import PasswordHasher, normalise
from shopfloor.security.records import SecurityDB, User
from shopfloor.security.roles import Permission, Principal, Role
from shopfloor.security.sessions import (
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_LIFETIME_S,
    IssuedToken,
    SessionManager,
)
from shopfloor.security.throttle import LoginThrottle
from shopfloor.security.users import UserStore, normalise_name

_T = TypeVar("_T")
SYSTEM = "system"
ANONYMOUS = "anonymous"


class Security:
    """Users, sessions, throttling and audit over one security database and bus."""

    def __init__(
        self,
        db: SecurityDB,
        bus: Bus,
        *,
        clock: Clock,
        root_asset: str,
        hasher: PasswordHasher | None = None,
        throttle: LoginThrottle | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        lifetime_s: float = DEFAULT_LIFETIME_S,
        max_concurrent_hashes: int = 4,
    ) -> None:
        self.users = UserStore(db.users, hasher=hasher, clock=clock)
        self.sessions = SessionManager(
            db, clock=clock, idle_timeout_s=idle_timeout_s, lifetime_s=lifetime_s
        )
        self.throttle = throttle or LoginThrottle(clock)
        self.audit = AuditTrail(bus, db.chain, clock=clock, root_asset=root_asset)
        # Each argon2 check takes 64 MiB; a burst of logins must queue, not exhaust memory.
        self._hashing = asyncio.Semaphore(max_concurrent_hashes)

    async def first_start(self, env: Mapping[str, str] | None = None) -> str | None:
        """Create the admin if there are no users (see :func:`ensure_admin`).

        Returns the generated password, which the caller prints once, or None.
        """
        before = self.users.count()
        password = await self._hash_in_thread(ensure_admin, self.users, env)
        if before == 0 and self.users.count() > 0:
            admin = self.users.get(ADMIN_NAME)
            await self._user_event(AuditAction.USER_CREATED, SYSTEM, admin, role=admin.role.label)
        return password

    async def login(self, name: str, password: str, *, client: str) -> IssuedToken:
        """A session for ``name`` if the password is right and the client is not throttled."""
        shown = _shown_name(name)
        try:
            self.throttle.check(name, client)
            user = await self._hash_in_thread(self.users.verify, name, password)
        except AuthenticationError as exc:
            await self._login_failed(name, shown, client, exc)
            raise
        self.throttle.success(name, client)
        issued = self.sessions.issue(user.name)
        await self.audit.record(
            AuditAction.LOGIN, actor=issued.principal, details={"client": client[:256]}
        )
        return issued

    def authenticate(self, token: str) -> Principal:
        """Who ``token`` stands for; :class:`AuthenticationError` otherwise."""
        return self.sessions.authenticate(token)

    async def logout(self, token: str) -> None:
        """End the session of ``token``; an already dead token is not an error."""
        try:
            principal = self.sessions.authenticate(token)
        except AuthenticationError:
            return
        self.sessions.revoke(token)
        await self.audit.record(AuditAction.LOGOUT, actor=principal)

    async def create_user(
        self,
        actor: Principal,
        name: str,
        password: str,
        *,
        role: Role = Role.VIEWER,
        must_change_password: bool = True,
    ) -> User:
        """Add a user; by default they choose their own password at the first login."""
        actor.require(Permission.USER_ADMIN)
        user = await self._hash_in_thread(
            self.users.create, name, password, role=role, must_change_password=must_change_password
        )
        await self._user_event(AuditAction.USER_CREATED, actor, user, role=user.role.label)
        return user

    async def change_own_password(self, actor: Principal, current: str, new: str) -> IssuedToken:
        """Let a user replace their password; all their sessions end and a new one starts.

        The new password must differ from the current one, or a one-time password handed
        out by an admin could simply be kept.
        """
        await self._hash_in_thread(self.users.verify, actor.user, current)
        if normalise(new) == normalise(current):
            raise PasswordPolicyError("the new password must differ from the current one")
        user = await self._hash_in_thread(self.users.set_password, actor.user, new)
        self.sessions.revoke_user(user.name)
        await self._user_event(AuditAction.PASSWORD_CHANGED, actor, user, reset=False)
        return self.sessions.issue(user.name)

    async def reset_password(self, actor: Principal, name: str, new: str) -> User:
        """Set someone's password as an admin; they must change it at their next login."""
        actor.require(Permission.USER_ADMIN)
        user = await self._hash_in_thread(
            self.users.set_password, name, new, must_change_password=True
        )
        self.sessions.revoke_user(user.name)
        await self._user_event(AuditAction.PASSWORD_CHANGED, actor, user, reset=True)
        return user

    async def set_role(self, actor: Principal, name: str, role: Role) -> User:
        """Give a user another role; their sessions end so that it applies at once."""
        actor.require(Permission.USER_ADMIN)
        before = self.users.get(name)
        if before.role is role:
            return before
        user = self.users.set_role(name, role)
        self.sessions.revoke_user(user.name)
        await self._user_event(
            AuditAction.ROLE_CHANGED, actor, user, before=before.role.label, after=role.label
        )
        return user

    async def disable_user(self, actor: Principal, name: str) -> User:
        """Stop a user from logging in and end their sessions."""
        actor.require(Permission.USER_ADMIN)
        user = self.users.disable(name)
        self.sessions.revoke_user(user.name)
        await self._user_event(AuditAction.USER_DISABLED, actor, user)
        return user

    async def enable_user(self, actor: Principal, name: str) -> User:
        """Let a disabled user log in again."""
        actor.require(Permission.USER_ADMIN)
        user = self.users.enable(name)
        await self._user_event(AuditAction.USER_ENABLED, actor, user)
        return user

    async def delete_user(self, actor: Principal, name: str) -> None:
        """Remove a user and their sessions."""
        actor.require(Permission.USER_ADMIN)
        user = self.users.get(name)
        self.users.delete(name)
        self.sessions.revoke_user(user.name)
        await self._user_event(AuditAction.USER_DELETED, actor, user)

    def list_users(self, actor: Principal) -> list[User]:
        """Every user, for the user administration page."""
        actor.require(Permission.USER_ADMIN)
        return self.users.list_users()

    async def _hash_in_thread(self, work: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        async with self._hashing:
            return await asyncio.to_thread(work, *args, **kwargs)

    async def _login_failed(
        self, name: str, shown: str, client: str, exc: AuthenticationError
    ) -> None:
        throttled = isinstance(exc, LoginThrottledError)
        if not throttled:
            self.throttle.failure(name, client)
        await self.audit.record(
            AuditAction.LOGIN_FAILED,
            actor=ANONYMOUS,
            details={"user": shown, "client": client[:256], "throttled": throttled},
            severity=Severity.MEDIUM if throttled else Severity.LOW,
        )

    async def _user_event(
        self, action: AuditAction, actor: Principal | str, user: User, **details: JsonValue
    ) -> None:
        await self.audit.record(action, actor=actor, details={"user": user.name, **details})


def _shown_name(name: str) -> str:
    """The attempted name as the audit trail shows it; junk is not copied into history."""
    try:
        return normalise_name(name)
    except UserNameError:
        return "<invalid>"
