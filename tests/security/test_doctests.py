"""The examples in the security modules' docstrings run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "shopfloor.security.roles",
    "shopfloor.security.passwords",
    "shopfloor.security.users",
    "shopfloor.security.bootstrap",
    "shopfloor.security.sessions",
    "shopfloor.security.throttle",
    "shopfloor.security.sqlite",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_module_examples_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert (result.failed, result.attempted > 0) == (0, True)
