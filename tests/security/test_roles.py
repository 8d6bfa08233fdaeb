"""The role -> permission matrix, cell by cell."""

from __future__ import annotations

import itertools

import pytest

from shopfloor.model.errors import ShopfloorError
from shopfloor.security import (
    ROLE_PERMISSIONS,
    ForbiddenError,
    PasswordChangeRequiredError,
    Permission,
    Principal,
    Role,
    SecurityError,
    allows,
    require,
)

P = Permission
COLUMNS = (
    P.READ,
    P.ALARM_ACKNOWLEDGE,
    P.ALARM_SHELVE,
    P.CONFIG_WRITE,
    P.AUDIT_READ,
    P.USER_ADMIN,
)
# fmt: off
EXPECTED = {
    #              read   ack    shelve config audit  users
    Role.VIEWER:   (True, False, False, False, False, False),
    Role.OPERATOR: (True, True,  True,  False, False, False),
    Role.ENGINEER: (True, True,  True,  True,  False, False),
    Role.ADMIN:    (True, True,  True,  True,  True,  True),
}
# fmt: on
CELLS = [
    (role, permission, allowed)
    for role, row in EXPECTED.items()
    for permission, allowed in zip(COLUMNS, row, strict=True)
]
DENIED = [(role, permission) for role, permission, allowed in CELLS if not allowed]
GRANTED = [(role, permission) for role, permission, allowed in CELLS if allowed]


def test_the_expected_table_covers_every_role_and_permission() -> None:
    assert set(EXPECTED) == set(Role)
    assert set(COLUMNS) == set(Permission)


@pytest.mark.parametrize(("role", "permission", "allowed"), CELLS)
def test_each_role_holds_exactly_the_permissions_of_the_table(
    role: Role, permission: Permission, allowed: bool
) -> None:
    assert allows(role, permission) is allowed


@pytest.mark.parametrize(("role", "permission"), DENIED)
def test_require_refuses_every_denied_cell(role: Role, permission: Permission) -> None:
    with pytest.raises(ForbiddenError) as caught:
        require(role, permission)
    assert caught.value.role == role.label
    assert caught.value.permission == permission.value


@pytest.mark.parametrize(("role", "permission"), GRANTED)
def test_require_passes_every_granted_cell(role: Role, permission: Permission) -> None:
    require(role, permission)


def test_a_higher_role_holds_everything_a_lower_one_does() -> None:
    ordered = sorted(Role)
    assert all(
        ROLE_PERMISSIONS[low] <= ROLE_PERMISSIONS[high] for low, high in itertools.pairwise(ordered)
    )


def test_roles_are_ordered_viewer_operator_engineer_admin() -> None:
    assert Role.VIEWER < Role.OPERATOR < Role.ENGINEER < Role.ADMIN


def test_a_role_is_parsed_from_its_name_in_any_case() -> None:
    assert Role.parse(" Engineer ") is Role.ENGINEER


def test_an_unknown_role_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="viewer, operator, engineer, admin"):
        Role.parse("root")


def test_forbidden_is_a_security_error_with_a_code() -> None:
    with pytest.raises(ShopfloorError) as caught:
        require(Role.VIEWER, Permission.CONFIG_WRITE)
    assert isinstance(caught.value, SecurityError)
    assert caught.value.code == "security.forbidden"
    assert str(caught.value) == "role viewer may not config write"


def test_a_principal_that_must_change_its_password_may_not_even_read() -> None:
    principal = Principal("admin", Role.ADMIN, must_change_password=True)
    with pytest.raises(PasswordChangeRequiredError):
        principal.require(Permission.READ)


def test_a_principal_acts_as_user_colon_name() -> None:
    assert Principal("alice", Role.OPERATOR).actor == "user:alice"


def test_a_principal_is_checked_against_its_role() -> None:
    with pytest.raises(ForbiddenError):
        Principal("alice", Role.OPERATOR).require(Permission.CONFIG_WRITE)
