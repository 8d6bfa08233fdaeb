"""Login throttling: slow password guessing down without locking accounts for good.

After ``max_failures`` failed logins for one user name from one client within
``window_s``, that pair is refused for ``cooldown_s``; a client that fails
``max_client_failures`` times within the window, whatever names it tries, is refused too
(password spraying). Refusals happen before the password is checked, so a correct password
does not help during the cooldown. A success clears the pair's failures.

It is pure bookkeeping on an injected clock, held in memory: a restart forgets it, which
costs an attacker a restart they cannot cause. The number of tracked keys is bounded.

>>> from shopfloor.model.clock import SimClock
>>> clock = SimClock()
>>> throttle = LoginThrottle(clock, max_failures=2)
>>> for _ in range(2):
...     throttle.failure("alice", "10.0.0.7")
>>> throttle.retry_after_s("alice", "10.0.0.7")
900.0
>>> clock.advance(900)
>>> throttle.retry_after_s("alice", "10.0.0.7")
0.0
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from shopfloor.model.clock import NS_PER_S, Clock
from shopfloor.security.errors import LoginThrottledError

_Key = tuple[str, ...]


@dataclass
class _Track:
    failures: deque[int] = field(default_factory=deque)
    blocked_until_ns: int = 0


class LoginThrottle:
    """Counts failed logins per user and client, and per client, and refuses in bursts."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = 5,
        max_client_failures: int = 50,
        window_s: float = 15 * 60,
        cooldown_s: float = 15 * 60,
        max_tracked: int = 10_000,
    ) -> None:
        if min(max_failures, max_client_failures, max_tracked) < 1 or window_s <= 0:
            raise ValueError("throttle limits and window must be positive")
        self._clock = clock
        self._limits = {1: max_client_failures, 2: max_failures}
        self._window_ns = round(window_s * NS_PER_S)
        self._cooldown_ns = round(cooldown_s * NS_PER_S)
        self._max_tracked = max_tracked
        self._tracks: OrderedDict[_Key, _Track] = OrderedDict()

    def check(self, user: str, client: str) -> None:
        """Raise :class:`LoginThrottledError` if a login attempt must be refused now."""
        wait = self.retry_after_s(user, client)
        if wait > 0:
            raise LoginThrottledError(wait)

    def retry_after_s(self, user: str, client: str) -> float:
        """Seconds until ``user`` may try again from ``client``; 0.0 if now."""
        now = self._clock.now_ns()
        until = max(
            (t.blocked_until_ns for k in _keys(user, client) if (t := self._tracks.get(k))),
            default=0,
        )
        return max(0, until - now) / NS_PER_S

    def failure(self, user: str, client: str) -> None:
        """Count a failed login."""
        now = self._clock.now_ns()
        for key in _keys(user, client):
            track = self._track(key)
            while track.failures and track.failures[0] <= now - self._window_ns:
                track.failures.popleft()
            track.failures.append(now)
            if len(track.failures) >= self._limits[len(key)]:
                track.blocked_until_ns = now + self._cooldown_ns
                track.failures.clear()

    def success(self, user: str, client: str) -> None:
        """Forget the failures of this user from this client (not the client's total)."""
        self._tracks.pop(_keys(user, client)[1], None)

    def _track(self, key: _Key) -> _Track:
        track = self._tracks.pop(key, None) or _Track()
        self._tracks[key] = track
        while len(self._tracks) > self._max_tracked:
            self._tracks.popitem(last=False)
        return track


def _keys(user: str, client: str) -> tuple[_Key, _Key]:
    # Names are compared as the user store compares them, and cut short so that a flood of
    # long made-up names cannot make the table large.
    return (client[:256],), (client[:256], user.strip().lower()[:64])
