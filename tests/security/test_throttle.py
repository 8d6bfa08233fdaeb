"""Login throttling on simulated time."""

from __future__ import annotations

import pytest

from shopfloor.model.clock import SimClock
from shopfloor.security import LoginThrottle, LoginThrottledError

CLIENT = "10.0.0.7"
MINUTE = 60.0


@pytest.fixture
def throttle(clock: SimClock) -> LoginThrottle:
    return LoginThrottle(clock, max_failures=5, window_s=15 * MINUTE, cooldown_s=15 * MINUTE)


def fail(throttle: LoginThrottle, times: int, user: str = "alice", client: str = CLIENT) -> None:
    for _ in range(times):
        throttle.failure(user, client)


def test_four_failures_still_allow_a_try(throttle: LoginThrottle) -> None:
    fail(throttle, 4)
    throttle.check("alice", CLIENT)


def test_the_fifth_failure_refuses_for_the_cooldown(throttle: LoginThrottle) -> None:
    fail(throttle, 5)
    with pytest.raises(LoginThrottledError) as caught:
        throttle.check("alice", CLIENT)
    assert caught.value.retry_after_s == 15 * MINUTE
    assert "try again in 900 s" in str(caught.value)


def test_the_refusal_ends_with_the_cooldown(throttle: LoginThrottle, clock: SimClock) -> None:
    fail(throttle, 5)
    clock.advance(15 * MINUTE)
    throttle.check("alice", CLIENT)


def test_failures_older_than_the_window_do_not_count(
    throttle: LoginThrottle, clock: SimClock
) -> None:
    fail(throttle, 4)
    clock.advance(15 * MINUTE)
    fail(throttle, 1)
    throttle.check("alice", CLIENT)


def test_another_client_is_not_refused_for_the_same_user(throttle: LoginThrottle) -> None:
    fail(throttle, 5)
    throttle.check("alice", "10.0.0.8")


def test_another_user_is_not_refused_from_the_same_client(throttle: LoginThrottle) -> None:
    fail(throttle, 5)
    throttle.check("bob", CLIENT)


def test_user_names_count_in_any_case(throttle: LoginThrottle) -> None:
    fail(throttle, 3, user="alice")
    fail(throttle, 2, user="ALICE")
    with pytest.raises(LoginThrottledError):
        throttle.check("Alice", CLIENT)


def test_a_success_forgets_the_failures(throttle: LoginThrottle) -> None:
    fail(throttle, 4)
    throttle.success("alice", CLIENT)
    fail(throttle, 4)
    throttle.check("alice", CLIENT)


def test_a_client_spraying_many_names_is_refused(clock: SimClock) -> None:
    throttle = LoginThrottle(clock, max_client_failures=10)
    for number in range(10):
        throttle.failure(f"user{number}", CLIENT)
    with pytest.raises(LoginThrottledError):
        throttle.check("somebody-new", CLIENT)


def test_a_throttle_refusal_is_an_authentication_error() -> None:
    from shopfloor.security import AuthenticationError

    assert issubclass(LoginThrottledError, AuthenticationError)
