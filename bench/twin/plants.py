"""The benchmark's plants: the default plant, and one ten times larger.

The twin simulates one line per :class:`~shopfloor.sim.Twin` (the ``sim:`` section names
one line). The larger plant is therefore ten copies of the default line in the same area
(``line1`` .. ``line10``, each with the same nine machines), one twin per line, all ten
advanced side by side in one process: 90 machines, as a real plant of ten lines would be
simulated. Each line gets its own seed, so the lines do not move in lockstep.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from shopfloor.model.plant import Plant, parse_plant
from shopfloor.sim import Twin, default_plant
from shopfloor.sim.default import PLANTS


def default_text() -> str:
    """The default plant file's text."""
    return (PLANTS / "default.yaml").read_text(encoding="utf-8")


def _area(document: dict[str, Any]) -> dict[str, Any]:
    area: dict[str, Any] = document["enterprise"]["sites"][0]["areas"][0]
    return area


def replicated_text(lines: int) -> str:
    """The default plant with its line copied ``lines`` times (``line1`` .. ``lineN``)."""
    document = yaml.safe_load(default_text())
    area = _area(document)
    (line,) = area["lines"]
    area["lines"] = [{**copy.deepcopy(line), "name": f"line{i + 1}"} for i in range(lines)]
    return yaml.safe_dump(document, sort_keys=False)


def twins(lines: int, seed: int, start_ns: int) -> list[Twin]:
    """One twin per line of a plant of ``lines`` copies of the default line; for one line,
    the twin of the default plant itself."""
    if lines == 1:
        return [Twin.from_plant(default_plant(), seed=seed, start_ns=start_ns)]
    plant: Plant = parse_plant(replicated_text(lines), source=f"default x {lines}")
    spec = plant.sim
    assert spec is not None
    area = spec.line.rsplit("/", 1)[0]
    return [
        Twin(
            plant,
            spec.model_copy(update={"line": f"{area}/line{i + 1}"}),
            calendar=plant.calendar,
            seed=seed + i,
            start_ns=start_ns,
        )
        for i in range(lines)
    ]
