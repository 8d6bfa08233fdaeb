"""Password hashing and the password policy.

Passwords are stored only as argon2id hashes (:class:`Argon2Hasher`, argon2-cffi's defaults,
which are RFC 9106's low-memory profile: 3 passes over 64 MiB, 4 lanes). The
:class:`PasswordHasher` protocol lets tests inject cheap parameters or count calls.

The policy follows NIST SP 800-63B: length matters, composition rules do not. A password has
at least :data:`MIN_LENGTH` characters, at most :data:`MAX_LENGTH`, and is not the user name.
Passwords are NFKC-normalised before hashing, so the same text typed on two keyboards that
encode it differently still matches.

>>> check_password("correct horse battery", user="alice")
>>> len(generate_password()) >= 20
True
"""

from __future__ import annotations

import secrets
import string
import unicodedata
from typing import Protocol, runtime_checkable

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from shopfloor.security.errors import PasswordPolicyError

MIN_LENGTH = 12
MAX_LENGTH = 1024
GENERATED_LENGTH = 24
# Letters and digits without the look-alikes (0/O, 1/l/I), because a generated password is
# read off a terminal and typed by hand once.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


@runtime_checkable
class PasswordHasher(Protocol):
    """Turns passwords into self-describing hashes and checks them."""

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``; never raises for a mismatch."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other parameters than this hasher's."""
        ...


class Argon2Hasher:
    """argon2id hashing through argon2-cffi.

    The defaults are meant for production. Tests pass tiny costs (``time_cost=1,
    memory_cost=8, parallelism=1``) to stay fast; hashes made that way are upgraded on the
    next login by a store that uses the defaults.
    """

    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    @property
    def time_cost(self) -> int:
        return self._hasher.time_cost

    @property
    def memory_cost(self) -> int:
        """Memory per hash in KiB."""
        return self._hasher.memory_cost

    @property
    def parallelism(self) -> int:
        return self._hasher.parallelism

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            # A mismatch and a corrupt stored hash both mean "not this password".
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


def normalise(password: str) -> str:
    """The form of ``password`` that is hashed and compared (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", password)


def check_password(password: str, *, user: str) -> None:
    """Raise :class:`PasswordPolicyError` if ``password`` may not be ``user``'s password.

    The message names the rule that failed and never contains the password.
    """
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        raise PasswordPolicyError(
            f"password must be at least {MIN_LENGTH} characters long (it has {len(text)})"
        )
    if len(text) > MAX_LENGTH:
        raise PasswordPolicyError(f"password must be at most {MAX_LENGTH} characters long")
    if text.strip().casefold() == user.strip().casefold():
        raise PasswordPolicyError("password must not be the user name")


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password of ``length`` easily typed characters (about 5.8 bits each)."""
    if length < MIN_LENGTH:
        raise ValueError(f"a generated password needs at least {MIN_LENGTH} characters")
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
