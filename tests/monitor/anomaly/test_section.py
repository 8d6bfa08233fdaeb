"""The plant file's anomaly: section: defaults for every machine, overrides, and errors."""

from __future__ import annotations

import pytest

from shopfloor.model.plant import PlantFileError, parse_plant
from shopfloor.model.spec_alarms import AlarmPriority
from shopfloor.model.spec_anomaly import (
    AnomalySpec,
    EwmaDetectorSpec,
    PcaDetectorSpec,
)
from shopfloor.model.states import MachineState
from shopfloor.runtime.monitoring import alarms_with_anomaly, with_derived_tags
from shopfloor.sim import default_plant

PRESS = "acme/stuttgart/fabrication/line1/press1"
OVEN = "acme/stuttgart/fabrication/line1/oven1"
HEAD = """version: 1
enterprise:
  name: acme
  sites:
    - name: s
      areas:
        - name: a
          lines:
            - name: l
              machines:
                - {name: m1}
                - {name: m2}
"""


def section(**data: object) -> AnomalySpec:
    return AnomalySpec.model_validate(data)


def problem(anomaly: str) -> str:
    with pytest.raises(PlantFileError) as caught:
        parse_plant(HEAD + anomaly, "plant.yaml")
    return str(caught.value)


def test_without_a_section_every_machine_gets_pca_while_running_and_a_low_alarm() -> None:
    settings = default_plant().anomaly.settings_for(PRESS)
    assert settings is not None
    assert settings.detectors == (PcaDetectorSpec(),)
    assert settings.detectors[0].tags == ("*",)
    assert settings.states == (MachineState.RUNNING,)
    assert (settings.training, settings.alarms_per_day) == (86_400.0, 1.0)
    assert (settings.sustain.window, settings.sustain.share) == (300.0, 0.5)
    assert settings.alarm is not None
    assert (settings.alarm.priority, settings.alarm.severity) == (AlarmPriority.LOW, 6.0)


def test_an_entry_overrides_the_defaults_key_by_key_for_the_machines_it_selects() -> None:
    spec = section(
        defaults={"training": "12h"},
        machines=[
            {"select": "acme/+/+/+/+", "alarms_per_day": 2},
            {"select": OVEN, "alarm": None, "states": []},
        ],
    )
    press, oven = spec.settings_for(PRESS), spec.settings_for(OVEN)
    assert press is not None
    assert oven is not None
    assert (press.training, press.alarms_per_day, press.alarm is not None) == (43_200, 2, True)
    assert (oven.training, oven.alarms_per_day, oven.alarm, oven.states) == (43_200, 1, None, ())


def test_the_last_matching_entry_applies_and_a_machine_can_be_left_unwatched() -> None:
    spec = section(
        machines=[
            {"select": "acme/#", "alarms_per_day": 3},
            {"select": OVEN, "enabled": False},
        ]
    )
    press = spec.settings_for(PRESS)
    assert press is not None
    assert press.alarms_per_day == 3
    assert spec.settings_for(OVEN) is None
    assert section(enabled=False).settings_for(PRESS) is None


def test_detectors_are_named_with_their_own_parameters_and_tag_globs() -> None:
    spec = section(
        defaults={
            "detectors": [
                {"name": "pca", "variance_kept": 0.9, "exclude": "power"},
                {"name": "ewma", "tags": "temp*", "half_life": 600},
            ]
        }
    )
    pca, ewma = spec.defaults.detectors
    assert isinstance(pca, PcaDetectorSpec)
    assert isinstance(ewma, EwmaDetectorSpec)
    assert (pca.variance_kept, pca.exclude, ewma.tags, ewma.half_life) == (
        0.9,
        ("power",),
        ("temp*",),
        600,
    )
    assert ewma.selects("temperature", fast=True)
    assert not ewma.selects("temperature_2", fast=False)
    assert not pca.selects("power", fast=True)


def test_a_slow_tag_joins_only_when_named() -> None:
    named = PcaDetectorSpec(tags=("*", "good_count"))
    assert named.selects("good_count", fast=False)
    assert not named.selects("scrap_count", fast=False)


def test_mistakes_name_the_file_line_and_key() -> None:
    message = problem("anomaly:\n  defaults:\n    sustain: {window: 5m, share: 1.5}\n")
    assert message.startswith("plant.yaml:15: anomaly.defaults.sustain.share:")
    assert "less than or equal to 1" in message


def test_an_unknown_detector_and_an_unknown_key_are_told_apart() -> None:
    unknown = problem("anomaly:\n  defaults:\n    detectors: [{name: lstm}]\n")
    assert unknown.startswith("plant.yaml:15: anomaly.defaults.detectors[0]")
    assert "'pca', 'ewma'" in unknown
    typo = problem("anomaly:\n  defaults:\n    trainin: 1d\n")
    assert typo == (
        "plant.yaml:15: anomaly.defaults.trainin: unknown key 'trainin'; did you mean 'training'?"
    )


def test_a_bad_machine_pattern_and_a_second_pca_are_refused() -> None:
    assert "anomaly.machines[0].select" in problem("anomaly:\n  machines: [{select: a/#/b}]\n")
    two = problem("anomaly:\n  defaults:\n    detectors: [{name: pca}, {name: pca}]\n")
    assert "at most one pca detector per machine" in two


def test_watched_machines_get_a_discrete_alarm_on_their_anomaly_tag_where_alarms_exist() -> None:
    plant = default_plant()
    machines = [m.path for m in plant.machines()]
    alarms = alarms_with_anomaly(plant, machines)
    assert alarms is not None
    assert plant.alarms is not None
    added = alarms.discrete[len(plant.alarms.discrete) :]
    assert [a.tags for a in added] == [f"{m}/anomaly" for m in machines]
    assert {(a.name, a.equals, a.suppress) for a in added} == {("anomaly", (2,), False)}
    no_alarms = parse_plant(HEAD)
    assert alarms_with_anomaly(no_alarms, [m.path for m in no_alarms.machines()]) is None


def test_the_derived_tag_is_declared_on_each_watched_machine() -> None:
    plant = parse_plant(HEAD + "anomaly:\n  machines: [{select: acme/s/a/l/m2, enabled: false}]\n")
    tree = with_derived_tags(plant, plant.anomaly)
    assert [t.path for t in tree.tags()] == ["acme/s/a/l/m1/anomaly"]
