"""The security exception tree, drawn once.

::

    ShopfloorError
     +-- SecurityError                  root of everything security/ raises on purpose
          +-- AuthenticationError       who is this? wrong credentials, unknown or expired token
          |    +-- LoginThrottledError  too many failed logins; ``retry_after_s`` says how long
          +-- ForbiddenError            known user, missing permission (``role``, ``permission``)
          |    +-- PasswordChangeRequiredError  the user must change the password first
          +-- PasswordPolicyError       a new password breaks the policy (also an InputError)
          +-- UserError                 user administration was asked for something impossible
          |    +-- UserNameError        not a valid user name (also an InputError)
          |    +-- UserExistsError      the name is taken
          |    +-- UnknownUserError     no user has that name
          |    +-- LastAdminError       the change would leave no enabled admin
          +-- SecurityStorageError      the security database failed or is from a newer version

An API maps them to HTTP: 401 for :class:`AuthenticationError` (429 for
:class:`LoginThrottledError`), 403 for :class:`ForbiddenError`, 404 for
:class:`UnknownUserError`, 409 for :class:`UserExistsError` and :class:`LastAdminError`,
422 for the input errors, 500 for :class:`SecurityStorageError`. Messages never contain a
password or a token, so they may be shown and logged as they are.
"""

from __future__ import annotations

from shopfloor.model.errors import InputError, ShopfloorError


class SecurityError(ShopfloorError):
    """Root of every error the security package raises on purpose."""

    code = "security"


class AuthenticationError(SecurityError):
    """The caller could not be identified: bad credentials, or an unknown or expired token.

    The message is deliberately the same for an unknown user, a wrong password and a disabled
    account, so that it does not tell an attacker which names exist.
    """

    code = "security.authentication"


class LoginThrottledError(AuthenticationError):
    """Too many failed logins for this user from this client; try again later."""

    code = "security.throttled"

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = max(0.0, retry_after_s)
        super().__init__(
            f"too many failed logins; try again in {int(self.retry_after_s + 0.999)} s"
        )


class ForbiddenError(SecurityError):
    """The caller is known but their role lacks the permission the action needs."""

    code = "security.forbidden"

    def __init__(self, message: str, *, role: str = "", permission: str = "") -> None:
        self.role = role
        self.permission = permission
        super().__init__(message)


class PasswordChangeRequiredError(ForbiddenError):
    """The user logged in with a one-time password and must set their own first."""

    code = "security.password_change_required"


class PasswordPolicyError(SecurityError, InputError):
    """A new password does not meet the password policy; the message says which rule."""

    code = "security.password_policy"


class UserError(SecurityError):
    """User administration was asked for something that cannot be done."""

    code = "security.user"


class UserNameError(UserError, InputError):
    """A user name breaks the naming rule."""

    code = "security.user_name"


class UserExistsError(UserError):
    """A user with that name already exists."""

    code = "security.user_exists"


class UnknownUserError(UserError):
    """No user has that name."""

    code = "security.unknown_user"


class LastAdminError(UserError):
    """The change would leave the installation without an enabled admin."""

    code = "security.last_admin"


class SecurityStorageError(SecurityError):
    """The security database could not be read or written, or has an unknown schema."""

    code = "security.storage"
