"""Password hashing and the password policy."""

from __future__ import annotations

import pytest

from shopfloor.security import (
    Argon2Hasher,
    PasswordPolicyError,
    check_password,
    generate_password,
)

PASSWORD = "correct horse battery"


def cheap(time_cost: int = 1) -> Argon2Hasher:
    return Argon2Hasher(time_cost=time_cost, memory_cost=8, parallelism=1)


def test_the_default_hasher_is_at_least_rfc_9106_low_memory_strength() -> None:
    hasher = Argon2Hasher()
    assert hasher.time_cost >= 3
    assert hasher.memory_cost >= 64 * 1024
    assert hasher.parallelism >= 1


def test_a_hash_is_argon2id_and_does_not_contain_the_password() -> None:
    digest = cheap().hash(PASSWORD)
    assert digest.startswith("$argon2id$")
    assert PASSWORD not in digest


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    hasher = cheap()
    assert hasher.hash(PASSWORD) != hasher.hash(PASSWORD)


def test_the_right_password_verifies() -> None:
    hasher = cheap()
    assert hasher.verify(hasher.hash(PASSWORD), PASSWORD)


def test_a_wrong_password_does_not_verify() -> None:
    hasher = cheap()
    assert not hasher.verify(hasher.hash(PASSWORD), PASSWORD + "!")


def test_a_corrupt_stored_hash_verifies_nothing() -> None:
    assert not cheap().verify("$argon2id$garbage", PASSWORD)


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    assert cheap(time_cost=2).needs_rehash(cheap(time_cost=1).hash(PASSWORD))


def test_a_hash_made_with_the_same_parameters_does_not_need_rehashing() -> None:
    assert not cheap().needs_rehash(cheap().hash(PASSWORD))


def test_a_password_of_twelve_characters_is_accepted() -> None:
    check_password("a" * 12, user="alice")


def test_a_short_password_is_refused_with_the_minimum_length() -> None:
    with pytest.raises(PasswordPolicyError, match="at least 12 characters long"):
        check_password("short", user="alice")


def test_the_user_name_is_refused_as_password_in_any_case() -> None:
    with pytest.raises(PasswordPolicyError, match="must not be the user name"):
        check_password("Operator-Line2", user="operator-line2")


def test_an_overlong_password_is_refused() -> None:
    with pytest.raises(PasswordPolicyError, match="at most 1024"):
        check_password("x" * 1025, user="alice")


def test_a_policy_message_never_contains_the_password() -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        check_password("hunter2", user="alice")
    assert "hunter2" not in str(caught.value)


def test_a_policy_error_is_also_an_input_error_for_the_command_line() -> None:
    from shopfloor.model.errors import InputError

    with pytest.raises(InputError):
        check_password("short", user="alice")


def test_generated_passwords_are_long_distinct_and_pass_the_policy() -> None:
    first, second = generate_password(), generate_password()
    check_password(first, user="admin")
    assert len(first) >= 20
    assert first != second
