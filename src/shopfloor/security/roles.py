"""Roles, permissions and the one table that joins them.

Roles are ordered, ``viewer < operator < engineer < admin``, and each role holds every
permission of the roles below it plus its own grants (:data:`GRANTS`). Code asks for a
permission, never for a role, so the table is the only place that decides who may do what.

>>> require(Role.OPERATOR, Permission.ALARM_ACKNOWLEDGE)
>>> allows(Role.VIEWER, Permission.CONFIG_WRITE)
False
>>> Role.parse("Engineer") > Role.OPERATOR
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType

from shopfloor.security.errors import ForbiddenError, PasswordChangeRequiredError


class Role(IntEnum):
    """What a user is trusted with; a higher role includes everything a lower one may do."""

    VIEWER = 0
    OPERATOR = 1
    ENGINEER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The lower-case name used in storage, tokens and the API."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named ``text`` (any case); ``ValueError`` lists the valid names."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(r.label for r in cls)
            raise ValueError(f"role must be one of {names}, not {text!r}") from None


class Permission(StrEnum):
    """An action a route or command may need."""

    READ = "read"
    """See the plant: live values, history, alarms, events, OEE."""
    ALARM_ACKNOWLEDGE = "alarm_acknowledge"
    ALARM_SHELVE = "alarm_shelve"
    CONFIG_WRITE = "config_write"
    """Change alarm limits and, later, detector and model settings."""
    AUDIT_READ = "audit_read"
    """Read the audit trail: who did what and when, including failed logins."""
    USER_ADMIN = "user_admin"
    """Create, change, disable and delete users, and reset their passwords."""


GRANTS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.VIEWER: frozenset({Permission.READ}),
        Role.OPERATOR: frozenset({Permission.ALARM_ACKNOWLEDGE, Permission.ALARM_SHELVE}),
        Role.ENGINEER: frozenset({Permission.CONFIG_WRITE}),
        Role.ADMIN: frozenset({Permission.AUDIT_READ, Permission.USER_ADMIN}),
    }
)
"""What each role adds to the roles below it: the one explicit table."""


def _inherit(grants: Mapping[Role, frozenset[Permission]]) -> Mapping[Role, frozenset[Permission]]:
    held: frozenset[Permission] = frozenset()
    table: dict[Role, frozenset[Permission]] = {}
    for role in sorted(Role):
        held = held | grants[role]
        table[role] = held
    return MappingProxyType(table)


ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = _inherit(GRANTS)
"""Every permission each role holds, its own and inherited."""


def allows(role: Role, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``."""
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    """Raise :class:`ForbiddenError` unless ``role`` holds ``permission``."""
    if not allows(role, permission):
        raise ForbiddenError(
            f"role {role.label} may not {permission.value.replace('_', ' ')}",
            role=role.label,
            permission=permission.value,
        )


@dataclass(frozen=True)
class Principal:
    """Who is calling: an authenticated user and the role they hold for this session."""

    user: str
    role: Role
    must_change_password: bool = False

    @property
    def actor(self) -> str:
        """The ``actor`` of the events this principal causes: ``user:<name>``."""
        return f"user:{self.user}"

    def require(self, permission: Permission) -> None:
        """Raise :class:`ForbiddenError` unless this principal may use ``permission``.

        A user who logged in with a one-time password may do nothing but change it, so every
        permission is refused with :class:`PasswordChangeRequiredError` until they have.
        """
        if self.must_change_password:
            raise PasswordChangeRequiredError(
                "change your password before doing anything else",
                role=self.role.label,
                permission=permission.value,
            )
        require(self.role, permission)
