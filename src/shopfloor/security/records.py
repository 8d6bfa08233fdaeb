"""What the security package stores, and the storage protocols its backends implement.

Three kinds of record live in one security database: users (with their password hashes),
sessions (with the SHA-256 of their token, never the token) and the head of the audit chain.
:class:`SecurityDB` bundles them; :mod:`~shopfloor.security.memory` and
:mod:`~shopfloor.security.sqlite` implement it, and one contract suite tests both.

The records are plain values. Rules (the password policy, the last admin, expiry) live in
:class:`~shopfloor.security.users.UserStore` and
:class:`~shopfloor.security.sessions.SessionManager`, written once over these protocols.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from shopfloor.security.roles import Role

GENESIS_HASH = "0" * 64
"""The ``prev`` of the first audit event: no event came before it."""


@dataclass(frozen=True)
class User:
    """A user as the rest of shopfloor sees one: everything but the password hash."""

    name: str
    role: Role
    created_ns: int
    updated_ns: int
    disabled: bool = False
    must_change_password: bool = False


@dataclass(frozen=True)
class UserRecord:
    """A stored user, password hash included; it stays inside the security package.

    ``epoch`` grows whenever the user's password, role or enabled state changes; a session
    remembers the epoch it was issued in and dies when the user's epoch moves on.
    """

    name: str
    role: Role
    password_hash: str = field(repr=False)
    created_ns: int
    updated_ns: int
    disabled: bool = False
    must_change_password: bool = False
    epoch: int = 0

    def public(self) -> User:
        """This user without the password hash."""
        return User(
            self.name,
            self.role,
            self.created_ns,
            self.updated_ns,
            self.disabled,
            self.must_change_password,
        )


@dataclass(frozen=True)
class SessionRecord:
    """A stored session: the SHA-256 of its bearer token and who it belongs to."""

    token_sha256: str
    user: str
    role: Role
    epoch: int
    created_ns: int
    last_used_ns: int
    expires_ns: int
    """The absolute end of the session, however active it stays."""


@dataclass(frozen=True)
class ChainHead:
    """The last audit event written: its sequence number and hash."""

    seq: int = 0
    hash: str = GENESIS_HASH


@runtime_checkable
class UserRecords(Protocol):
    """Stored users. Names are unique; the caller has already normalised them."""

    def transaction(self) -> AbstractContextManager[None]:
        """Run the enclosed reads and writes atomically; an exception undoes the writes."""
        ...

    def get(self, name: str) -> UserRecord | None: ...

    def all(self) -> list[UserRecord]:
        """Every user, by name."""
        ...

    def count(self) -> int: ...

    def insert(self, record: UserRecord) -> None:
        """Add a user; :class:`UserExistsError` if the name is taken."""
        ...

    def update(self, record: UserRecord) -> None:
        """Replace the user of the same name; :class:`UnknownUserError` if there is none."""
        ...

    def delete(self, name: str) -> bool:
        """Remove a user and all their sessions; whether there was one."""
        ...


@runtime_checkable
class SessionRecords(Protocol):
    """Stored sessions, keyed by the SHA-256 (hex) of their token."""

    def add(self, record: SessionRecord) -> None: ...

    def get(self, token_sha256: str) -> SessionRecord | None: ...

    def touch(self, token_sha256: str, last_used_ns: int) -> None:
        """Record that the session was used at ``last_used_ns``."""
        ...

    def delete(self, token_sha256: str) -> bool: ...

    def delete_user(self, user: str) -> int:
        """Remove every session of ``user``; how many there were."""
        ...

    def delete_expired(self, now_ns: int, idle_ns: int) -> int:
        """Remove sessions past their absolute end or idle for ``idle_ns`` or longer."""
        ...

    def of_user(self, user: str) -> list[SessionRecord]:
        """The sessions of ``user``, oldest first."""
        ...


@runtime_checkable
class ChainHeads(Protocol):
    """Where the audit chain ended, so that it continues across restarts."""

    def head(self) -> ChainHead: ...

    def advance(self, expected: ChainHead, new: ChainHead) -> None:
        """Move the head from ``expected`` to ``new``.

        Raises :class:`SecurityStorageError` if the head is no longer ``expected`` (another
        writer moved it), so two writers can never fork the chain silently.
        """
        ...


@runtime_checkable
class SecurityDB(Protocol):
    """The security database: users, sessions and the audit chain head."""

    @property
    def users(self) -> UserRecords: ...

    @property
    def sessions(self) -> SessionRecords: ...

    @property
    def chain(self) -> ChainHeads: ...

    def close(self) -> None: ...
