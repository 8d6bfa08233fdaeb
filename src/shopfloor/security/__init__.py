"""Security: local users and roles, sessions, login throttling and the audit trail.

Framework-free building blocks for the API and the command line:

- :class:`Role`, :class:`Permission`, :data:`ROLE_PERMISSIONS`, :func:`require`,
  :class:`Principal`: who may do what, in one table.
- :class:`UserStore`: users with argon2-hashed passwords, over a :class:`SecurityDB`
  (:class:`SQLiteSecurityDB` in the state directory, :class:`MemorySecurityDB` for tests).
- :func:`ensure_admin`: the first admin, with no default password.
- :class:`SessionManager`: opaque bearer tokens stored as hashes.
- :class:`LoginThrottle`: refuses bursts of failed logins.
- :class:`AuditTrail`, :func:`verify_chain`: hash-chained ``audit.*`` events on the bus.
- :class:`Security`: all of the above wired together, for routes to call.

Errors are drawn in :mod:`shopfloor.security.errors`.
"""

from shopfloor.security.audit import (
    AuditAction,
    AuditTrail,
    ChainCheck,
    chain_order,
    event_hash,
    verify_chain,
)
from shopfloor.security.bootstrap import ADMIN_NAME, ADMIN_PASSWORD_ENV, ensure_admin
from shopfloor.security.errors import (
    AuthenticationError,
    ForbiddenError,
    LastAdminError,
    LoginThrottledError,
    PasswordChangeRequiredError,
    PasswordPolicyError,
    SecurityError,
    SecurityStorageError,
    UnknownUserError,
    UserError,
    UserExistsError,
    UserNameError,
)
from shopfloor.security.memory import MemorySecurityDB
from shopfloor.security.passwords import (
    Argon2Hasher,
    PasswordHasher,
    check_password,
    generate_password,
)
from shopfloor.security.records import ChainHead, SecurityDB, User
from shopfloor.security.roles import (
    GRANTS,
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    Role,
    allows,
    require,
)
from shopfloor.security.service import Security
from shopfloor.security.sessions import IssuedToken, SessionManager
from shopfloor.security.sqlite import SQLiteSecurityDB
from shopfloor.security.throttle import LoginThrottle
from shopfloor.security.users import UserStore, normalise_name

__all__ = [
    "ADMIN_NAME",
    "ADMIN_PASSWORD_ENV",
    "GRANTS",
    "ROLE_PERMISSIONS",
    "Argon2Hasher",
    "AuditAction",
    "AuditTrail",
    "AuthenticationError",
    "ChainCheck",
    "ChainHead",
    "ForbiddenError",
    "IssuedToken",
    "LastAdminError",
    "LoginThrottle",
    "LoginThrottledError",
    "MemorySecurityDB",
    "PasswordChangeRequiredError",
    "PasswordHasher",
    "PasswordPolicyError",
    "Permission",
    "Principal",
    "Role",
    "SQLiteSecurityDB",
    "Security",
    "SecurityDB",
    "SecurityError",
    "SecurityStorageError",
    "SessionManager",
    "UnknownUserError",
    "User",
    "UserError",
    "UserExistsError",
    "UserNameError",
    "UserStore",
    "allows",
    "chain_order",
    "check_password",
    "ensure_admin",
    "event_hash",
    "generate_password",
    "normalise_name",
    "require",
    "verify_chain",
]
