"""Sessions: opaque bearer tokens for the browser and the API.

A token is 32 random bytes (``secrets.token_urlsafe(32)``) given to the client once. The
server keeps only its SHA-256, so a copy of the database lets nobody log in. Random tokens
of that size need no salt or slow hash: there is nothing to guess.

A session ends when it has been idle for ``idle_timeout_s`` (each use slides that window),
when it reaches ``lifetime_s`` after login however busy it is, when it is revoked, or when
its user's password, role or enabled state changes (the user's ``epoch`` moves on).

>>> from shopfloor.model.clock import SimClock
>>> from shopfloor.security.memory import MemorySecurityDB
>>> from shopfloor.security.passwords import Argon2Hasher
>>> from shopfloor.security.users import UserStore
>>> db, clock = MemorySecurityDB(), SimClock()
>>> _ = UserStore(db.users, hasher=Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),
...               clock=clock).create("alice", "correct horse battery")
>>> sessions = SessionManager(db, clock=clock)
>>> issued = sessions.issue("alice")
>>> sessions.authenticate(issued.token).user
'alice'
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from shopfloor.model.clock import NS_PER_S, Clock, WallClock
from shopfloor.security.errors import AuthenticationError
from shopfloor.security.records import SecurityDB, SessionRecord
from shopfloor.security.roles import Principal
from shopfloor.security.users import normalise_name

DEFAULT_IDLE_TIMEOUT_S = 12 * 3600
DEFAULT_LIFETIME_S = 7 * 24 * 3600
DEFAULT_TOUCH_INTERVAL_S = 60
_MAX_TOKEN_LENGTH = 128
INVALID_SESSION = "invalid or expired session; log in again"
"""The one message for every rejected token, whatever the reason."""


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of ``token``: what the server stores instead of the token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new session: the token to hand to the client once, and whom it stands for."""

    token: str = field(repr=False)
    principal: Principal
    created_ns: int
    expires_ns: int
    """The absolute end of the session; it ends earlier if left idle."""


class SessionManager:
    """Issues, checks and revokes session tokens.

    ``touch_interval_s`` limits how often a busy session's last use is written: a session
    used every second would otherwise cost a database write per request. The idle timeout is
    therefore exact to within that interval.
    """

    def __init__(
        self,
        db: SecurityDB,
        *,
        clock: Clock | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        lifetime_s: float = DEFAULT_LIFETIME_S,
        touch_interval_s: float = DEFAULT_TOUCH_INTERVAL_S,
    ) -> None:
        if idle_timeout_s <= 0 or lifetime_s <= 0 or touch_interval_s < 0:
            raise ValueError("session timeouts must be positive")
        self._users = db.users
        self._sessions = db.sessions
        self._clock: Clock = clock or WallClock()
        self.idle_ns = round(idle_timeout_s * NS_PER_S)
        self.lifetime_ns = round(lifetime_s * NS_PER_S)
        self._touch_ns = round(touch_interval_s * NS_PER_S)

    def issue(self, user: str) -> IssuedToken:
        """Start a session for ``user`` (who must exist and be enabled)."""
        record = self._users.get(normalise_name(user))
        if record is None or record.disabled:
            raise AuthenticationError(INVALID_SESSION)
        now = self._clock.now_ns()
        self.purge_expired()
        token = secrets.token_urlsafe(32)
        session = SessionRecord(
            token_digest(token),
            record.name,
            record.role,
            record.epoch,
            created_ns=now,
            last_used_ns=now,
            expires_ns=now + self.lifetime_ns,
        )
        self._sessions.add(session)
        principal = Principal(record.name, record.role, record.must_change_password)
        return IssuedToken(token, principal, now, session.expires_ns)

    def authenticate(self, token: str) -> Principal:
        """Who ``token`` stands for; :class:`AuthenticationError` if it is not a live session."""
        digest = _digest_or_none(token)
        session = None if digest is None else self._sessions.get(digest)
        if digest is None or session is None:
            raise AuthenticationError(INVALID_SESSION)
        now = self._clock.now_ns()
        user = self._users.get(session.user)
        if (
            user is None
            or user.disabled
            or user.epoch != session.epoch
            or self._expired(session, now)
        ):
            self._sessions.delete(digest)
            raise AuthenticationError(INVALID_SESSION)
        if now - session.last_used_ns >= self._touch_ns:
            self._sessions.touch(digest, now)
        return Principal(user.name, session.role, user.must_change_password)

    def revoke(self, token: str) -> bool:
        """End the session of ``token`` (logout); whether there was one."""
        digest = _digest_or_none(token)
        return digest is not None and self._sessions.delete(digest)

    def revoke_user(self, name: str) -> int:
        """End every session of ``name``; how many there were."""
        return self._sessions.delete_user(normalise_name(name))

    def active(self, name: str) -> int:
        """How many live sessions ``name`` has."""
        now = self._clock.now_ns()
        live = self._sessions.of_user(normalise_name(name))
        return sum(1 for s in live if not self._expired(s, now))

    def purge_expired(self) -> int:
        """Delete sessions that have ended; how many. Called on each login."""
        return self._sessions.delete_expired(self._clock.now_ns(), self.idle_ns)

    def _expired(self, session: SessionRecord, now: int) -> bool:
        return now >= session.expires_ns or now >= session.last_used_ns + self.idle_ns


def _digest_or_none(token: str) -> str | None:
    # Anything that cannot be one of our tokens is rejected before it reaches the database.
    if not token or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        return None
    return token_digest(token)
