"""The machine a benchmark ran on, as one line of its markdown report."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib.metadata import version


def measured_on(command: str, packages: Sequence[str]) -> str:
    """``command``, then the cores, OS, Python and ``packages``' versions it ran with."""
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    return (
        f"`{command}` on {os.cpu_count()} cores, {platform.system()} {platform.machine()};"
        f" Python {platform.python_version()}, {versions}."
    )
