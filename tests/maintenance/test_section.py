"""The plant file's maintenance: section: defaults, and mistakes with file and line."""

from __future__ import annotations

import pytest

from shopfloor.model.plant import PlantFileError, parse_plant
from shopfloor.model.states import MachineState
from shopfloor.sim import default_plant

HEAD = """version: 1
enterprise:
  name: acme
  sites:
    - name: s
      areas:
        - name: a
          lines:
            - name: l
              machines: [{name: m1}, {name: m2}]
"""


def problem(section: str) -> str:
    with pytest.raises(PlantFileError) as caught:
        parse_plant(HEAD + section, "plant.yaml")
    return str(caught.value)


def test_without_a_section_every_machine_is_estimated_hourly_warning_three_days_ahead() -> None:
    spec = default_plant().maintenance
    assert spec.watches("acme/stuttgart/fabrication/line1/press1")
    assert (spec.interval, spec.horizon, spec.warn_on, spec.baseline) == (
        3600.0,
        259_200.0,
        "lower",
        28_800.0,
    )
    assert (spec.model, spec.health_model, spec.states) == (None, None, (MachineState.RUNNING,))


def test_select_limits_the_machines_and_enabled_false_stops_them_all() -> None:
    plant = parse_plant(HEAD + "maintenance: {select: acme/s/a/l/m2, horizon: 2d}\n")
    assert [plant.maintenance.watches(m.path) for m in plant.machines()] == [False, True]
    assert plant.maintenance.horizon == 172_800.0
    off = parse_plant(HEAD + "maintenance: {enabled: false}\n").maintenance
    assert not off.watches("acme/s/a/l/m2")


def test_mistakes_name_the_file_line_and_key() -> None:
    assert problem("maintenance:\n  warn_on: upper\n").startswith(
        "plant.yaml:12: maintenance.warn_on: input should be 'lower' or 'rul'"
    )
    assert problem("maintenance:\n  horizon: soon\n").startswith(
        "plant.yaml:12: maintenance.horizon: 'soon' is not a duration"
    )
    assert "maintenance.select" in problem("maintenance:\n  select: a/#/b\n")
