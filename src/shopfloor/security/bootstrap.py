"""First start: make sure an installation has an admin, without a default password.

>>> from shopfloor.security.memory import MemorySecurityDB
>>> from shopfloor.security.passwords import Argon2Hasher
>>> store = UserStore(MemorySecurityDB().users, hasher=Argon2Hasher(time_cost=1,
...                   memory_cost=8, parallelism=1))
>>> password = ensure_admin(store, env={})
>>> len(password) >= 20, ensure_admin(store, env={})
(True, None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from shopfloor.security.errors import PasswordPolicyError, UserExistsError
from shopfloor.security.passwords import generate_password
from shopfloor.security.roles import Role
from shopfloor.security.users import UserStore

ADMIN_NAME = "admin"
ADMIN_PASSWORD_ENV = "SHOPFLOOR_ADMIN_PASSWORD"


def ensure_admin(store: UserStore, env: Mapping[str, str] | None = None) -> str | None:
    """Create the user ``admin`` if the installation has no users yet.

    The password comes from ``SHOPFLOOR_ADMIN_PASSWORD`` in ``env`` (``os.environ`` by
    default) when it is set, and must pass the password policy. Otherwise a random password
    is generated, the admin must change it at the first login, and it is returned: this is the
    only time anyone sees it, so the caller prints it once (to the terminal, not to a log).

    Returns None when users already existed or the password came from the environment.
    """
    env = os.environ if env is None else env
    if store.count():
        return None
    given = env.get(ADMIN_PASSWORD_ENV)
    if given is not None and not given:
        raise PasswordPolicyError(f"{ADMIN_PASSWORD_ENV} is set but empty")
    password = given or generate_password()
    try:
        store.create(ADMIN_NAME, password, role=Role.ADMIN, must_change_password=given is None)
    except PasswordPolicyError as exc:
        raise PasswordPolicyError(f"{ADMIN_PASSWORD_ENV}: {exc}") from None
    except UserExistsError:
        # Another process started at the same moment and created the admin first.
        return None
    return None if given is not None else password
