"""Local users: creating them, checking their passwords, changing their role and state.

:class:`UserStore` holds the rules once, over any :class:`~shopfloor.security.records.
UserRecords` backend: the password policy, argon2 hashing (with an upgrade of old hashes at
login), and that the installation always keeps at least one enabled admin.

User names are lower-case: ``Alice`` and ``alice`` are the same user.

>>> from shopfloor.security.memory import MemorySecurityDB
>>> from shopfloor.security.passwords import Argon2Hasher
>>> store = UserStore(MemorySecurityDB().users, hasher=Argon2Hasher(time_cost=1,
...                   memory_cost=8, parallelism=1))
>>> store.create("Alice", "correct horse battery", role=Role.OPERATOR).name
'alice'
>>> store.verify("alice", "correct horse battery").role.label
'operator'
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import replace

from shopfloor.model.clock import Clock, WallClock
from shopfloor.security.errors import (
    AuthenticationError,
    LastAdminError,
    SecurityStorageError,
    UnknownUserError,
    UserNameError,
)
from shopfloor.security.passwords import (
    MAX_LENGTH,
    Argon2Hasher,
    PasswordHasher,
    check_password,
    normalise,
)
from shopfloor.security.records import User, UserRecord, UserRecords
from shopfloor.security.roles import Role

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,63}$")
LOGIN_FAILED = "wrong user name or password"
"""The one message for every failed password check, whatever the reason."""


def normalise_name(name: str) -> str:
    """``name`` in its stored form (trimmed, lower-case); :class:`UserNameError` if invalid."""
    canonical = name.strip().lower()
    if not _NAME.fullmatch(canonical):
        raise UserNameError(
            "a user name starts with a letter and has at most 64 letters, digits, '_', '-' and '.'"
        )
    return canonical


class UserStore:
    """The local users of one installation."""

    def __init__(
        self,
        records: UserRecords,
        *,
        hasher: PasswordHasher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._records = records
        self._hasher: PasswordHasher = hasher or Argon2Hasher()
        self._clock: Clock = clock or WallClock()
        self._dummy: str | None = None

    def create(
        self,
        name: str,
        password: str,
        *,
        role: Role = Role.VIEWER,
        must_change_password: bool = False,
    ) -> User:
        """Add a user; :class:`UserExistsError` if the name is taken."""
        name = normalise_name(name)
        password_hash = self._new_hash(name, password)
        now = self._clock.now_ns()
        record = UserRecord(name, role, password_hash, now, now, False, must_change_password)
        self._records.insert(record)
        return record.public()

    def get(self, name: str) -> User:
        """The user called ``name``; :class:`UnknownUserError` if there is none."""
        return self._record(normalise_name(name)).public()

    def list_users(self) -> list[User]:
        """Every user, by name."""
        return [r.public() for r in self._records.all()]

    def count(self) -> int:
        return self._records.count()

    def set_password(self, name: str, password: str, *, must_change_password: bool = False) -> User:
        """Give ``name`` a new password; their open sessions end.

        ``must_change_password`` is for an admin resetting someone else's password: the user
        then has to choose their own at the next login.
        """
        name = normalise_name(name)
        password_hash = self._new_hash(name, password)
        return self._change(
            name,
            lambda r: replace(
                r,
                password_hash=password_hash,
                must_change_password=must_change_password,
                epoch=r.epoch + 1,
            ),
        )

    def set_role(self, name: str, role: Role) -> User:
        """Give ``name`` another role; their open sessions end so the new role applies."""
        return self._change(
            normalise_name(name),
            lambda r: r if r.role is role else replace(r, role=role, epoch=r.epoch + 1),
        )

    def disable(self, name: str) -> User:
        """Stop ``name`` from logging in and end their sessions; the account is kept."""
        return self._change(
            normalise_name(name),
            lambda r: r if r.disabled else replace(r, disabled=True, epoch=r.epoch + 1),
        )

    def enable(self, name: str) -> User:
        """Let a disabled user log in again."""
        return self._change(normalise_name(name), lambda r: replace(r, disabled=False))

    def delete(self, name: str) -> None:
        """Remove ``name`` and their sessions; :class:`LastAdminError` for the last admin."""
        name = normalise_name(name)
        with self._records.transaction():
            before = self._record(name)
            self._check_keeps_an_admin(before, None)
            self._records.delete(name)

    def verify(self, name: str, password: str) -> User:
        """The user if ``password`` is theirs; else :class:`AuthenticationError`.

        Unknown names, wrong passwords and disabled accounts fail alike and cost one hash
        check each, so neither the message nor the time taken tells which names exist.
        """
        record = self._find_for_login(name)
        # No stored password is longer than MAX_LENGTH; cutting absurd input short keeps a
        # megabyte "password" from costing more than a real one (the check still runs).
        candidate = normalise(password[: 4 * MAX_LENGTH])
        if record is None:
            self._hasher.verify(self._dummy_hash(), candidate)
            raise AuthenticationError(LOGIN_FAILED)
        if not self._hasher.verify(record.password_hash, candidate) or record.disabled:
            raise AuthenticationError(LOGIN_FAILED)
        if self._hasher.needs_rehash(record.password_hash):
            self._rehash(record, candidate)
        return record.public()

    def _find_for_login(self, name: str) -> UserRecord | None:
        try:
            return self._records.get(normalise_name(name))
        except UserNameError:
            return None

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def _rehash(self, record: UserRecord, password: str) -> None:
        """Store a hash with the current parameters; the password itself is unchanged."""
        new_hash = self._hasher.hash(password)
        try:
            with self._records.transaction():
                current = self._records.get(record.name)
                if current is not None and current.password_hash == record.password_hash:
                    self._records.update(replace(current, password_hash=new_hash))
        except SecurityStorageError:
            # The login itself succeeded; the upgrade is retried at the next one.
            log.warning("could not upgrade the password hash of user %s", record.name)

    def _new_hash(self, name: str, password: str) -> str:
        check_password(password, user=name)
        return self._hasher.hash(normalise(password))

    def _record(self, name: str) -> UserRecord:
        record = self._records.get(name)
        if record is None:
            raise UnknownUserError(f"no user {name!r}")
        return record

    def _change(self, name: str, change: Callable[[UserRecord], UserRecord]) -> User:
        with self._records.transaction():
            before = self._record(name)
            after = change(before)
            if after is before:
                return before.public()
            self._check_keeps_an_admin(before, after)
            after = replace(after, updated_ns=max(before.updated_ns, self._clock.now_ns()))
            self._records.update(after)
        return after.public()

    def _check_keeps_an_admin(self, before: UserRecord, after: UserRecord | None) -> None:
        if not _enabled_admin(before) or (after is not None and _enabled_admin(after)):
            return
        if not any(_enabled_admin(u) for u in self._records.all() if u.name != before.name):
            raise LastAdminError(
                f"{before.name} is the last enabled admin; make another user admin first"
            )


def _enabled_admin(record: UserRecord) -> bool:
    return record.role is Role.ADMIN and not record.disabled
