"""The plant file's ``anomaly:`` section: which detectors watch which machine, and what follows.

Every machine is watched with the section's ``defaults`` unless an entry of ``machines:``
selects it; the last entry whose ``select`` pattern matches a machine's path applies, and
it overrides the defaults key by key (a nested block such as ``sustain`` as a whole). With
no ``anomaly:`` section at all, every machine gets the built-in defaults: a PCA detector
over the machine's fast numeric tags, trained on its first day of data while running.

.. code-block:: yaml

    anomaly:
      defaults:
        training: 1d                 # the first day of data seen is normal behaviour
        alarms_per_day: 1            # false-alarm budget of each detector's threshold
        sustain: {window: 5m, share: 0.5}
        alarm: {priority: low, severity: 6}
      machines:
        - select: acme/+/+/line1/oven1
          detectors:
            - {name: pca, tags: ["*"], exclude: [power]}
            - {name: ewma, tags: [temperature], half_life: 600}
        - select: acme/+/+/line1/test1
          enabled: false

A machine's rows are the sample times of its fastest tag, each with the last value of every
other tag at that time (see ``docs/anomaly.md``).
"""

from __future__ import annotations

import fnmatch
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from shopfloor.model.namespace import Pattern
from shopfloor.model.spec_alarms import AlarmPriority, DiscreteAlarmSpec, Priority
from shopfloor.model.spec_types import Duration, Name
from shopfloor.model.states import MachineState


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _globs(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _check_glob(pattern: str) -> str:
    if not pattern or "/" in pattern:
        raise ValueError(f"tag pattern {pattern!r} must be a tag name or a glob such as temp*")
    return pattern


Globs = Annotated[
    tuple[Annotated[str, BeforeValidator(_check_glob)], ...],
    BeforeValidator(_globs, json_schema_input_type=str | list[str]),
]


class _DetectorCommon(_Spec):
    tags: Globs = Field(
        ("*",),
        description="tag names or globs on the machine; a glob takes only the machine's fast "
        "numeric tags (sampled at least half as often as its fastest tag)",
    )
    exclude: Globs = Field((), description="tag names or globs to leave out")

    def selects(self, tag: str, fast: bool) -> bool:
        """Whether this detector reads ``tag`` (``fast``: sampled about as often as the
        machine's fastest tag). A name given literally is taken even when it is slow."""
        if any(fnmatch.fnmatchcase(tag, p) for p in self.exclude):
            return False
        if tag in self.tags:
            return True
        return fast and any(fnmatch.fnmatchcase(tag, p) for p in self.tags)


class PcaDetectorSpec(_DetectorCommon):
    """The multivariate detector: how the machine's signals move together (PCA)."""

    name: Literal["pca"] = "pca"
    variance_kept: float = Field(
        0.95, gt=0, le=1, description="share of variance the normal subspace keeps"
    )


class EwmaDetectorSpec(_DetectorCommon):
    """One exponentially weighted z-score per selected signal: steps and spikes."""

    name: Literal["ewma"]
    half_life: float = Field(100.0, gt=0, description="memory of the average, in rows")


DetectorSpec = Annotated[PcaDetectorSpec | EwmaDetectorSpec, Field(discriminator="name")]


def _state(value: object) -> object:
    return MachineState.parse(value) if isinstance(value, str) else value


class SustainSpec(_Spec):
    """When row-level anomalies make an anomaly: a share of the rows in a window."""

    window: Duration = Field(300.0, description="the window of scored rows (default 5m)")
    share: float = Field(
        0.5, gt=0, le=1, description="share of the window's rows above threshold to start one"
    )


class AnomalyAlarmSpec(_Spec):
    """The ISA-18.2 alarm a sustained anomaly raises (where the plant has ``alarms:``)."""

    priority: Priority = Field(AlarmPriority.LOW, description="urgent, high, medium, low (or 1-4)")
    severity: float = Field(
        6.0,
        ge=1,
        description="how far past the threshold (in multiples of its odds) the anomaly must "
        "be, sustained, to raise the alarm; 1 raises it for every anomaly",
    )


class AnomalySettings(_Spec):
    """How one machine is watched."""

    enabled: bool = True
    detectors: tuple[DetectorSpec, ...] = Field(
        (PcaDetectorSpec(),), min_length=1, description="detectors of this machine"
    )
    training: Duration = Field(
        86_400.0, description="span of the first data seen that is learnt as normal (1d)"
    )
    states: tuple[Annotated[MachineState, BeforeValidator(_state)], ...] = Field(
        (MachineState.RUNNING,),
        description="train and score only rows in these machine states; [] for every row",
    )
    state_tag: Name = Field("state", description="the machine's tag that holds its state")
    alarms_per_day: float = Field(
        1.0, gt=0, description="false-alarm budget of each detector's automatic threshold"
    )
    sustain: SustainSpec = SustainSpec()
    end_after: Duration = Field(
        1800.0, description="scored time without an anomalous row that ends an anomaly"
    )
    update_every: Duration = Field(3600.0, description="how often an ongoing anomaly reports")
    alarm: AnomalyAlarmSpec | None = Field(
        AnomalyAlarmSpec(), description="null: anomalies raise no alarm"
    )

    @field_validator("detectors")
    @classmethod
    def _one_pca(cls, value: tuple[DetectorSpec, ...]) -> tuple[DetectorSpec, ...]:
        if sum(isinstance(d, PcaDetectorSpec) for d in value) > 1:
            raise ValueError("at most one pca detector per machine (it sees all its tags)")
        return value


class MachineAnomalySpec(_Spec):
    """Settings for the machines ``select`` matches; keys not given come from the defaults."""

    select: str = Field(description="asset pattern of the machines, e.g. acme/+/+/line1/+")
    enabled: bool | None = None
    detectors: tuple[DetectorSpec, ...] | None = Field(None, min_length=1)
    training: Duration | None = None
    states: tuple[Annotated[MachineState, BeforeValidator(_state)], ...] | None = None
    state_tag: Name | None = None
    alarms_per_day: float | None = Field(None, gt=0)
    sustain: SustainSpec | None = None
    end_after: Duration | None = None
    update_every: Duration | None = None
    alarm: AnomalyAlarmSpec | None = None

    @field_validator("select")
    @classmethod
    def _pattern(cls, value: str) -> str:
        Pattern(value)  # raises ValueError with the reason
        return value

    def over(self, defaults: AnomalySettings) -> AnomalySettings:
        """``defaults`` with the keys this entry sets."""
        changed = {name: getattr(self, name) for name in self.model_fields_set - {"select"}}
        return AnomalySettings.model_validate({**defaults.model_dump(), **changed})


class AnomalySpec(_Spec):
    """The ``anomaly:`` section: detectors per machine, their events and alarms."""

    enabled: bool = Field(True, description="false: no anomaly detection at all")
    tag: Name = Field(
        "anomaly",
        description="derived tag on each machine: 0 normal, 1 anomaly, 2 anomaly past the "
        "alarm severity (the alarm's condition)",
    )
    defaults: AnomalySettings = AnomalySettings()
    machines: tuple[MachineAnomalySpec, ...] = ()

    def settings_for(self, machine: str) -> AnomalySettings | None:
        """The settings of the machine at path ``machine``, or None when it is not watched."""
        if not self.enabled:
            return None
        settings = self.defaults
        for entry in reversed(self.machines):
            if Pattern(entry.select).matches(machine):
                settings = entry.over(self.defaults)
                break
        return settings if settings.enabled else None

    def alarm_entries(self, machines: list[str]) -> tuple[DiscreteAlarmSpec, ...]:
        """Discrete alarms on the derived tag of each watched machine that raises alarms."""
        entries = []
        for machine in machines:
            settings = self.settings_for(machine)
            if settings is None or settings.alarm is None:
                continue
            entries.append(
                DiscreteAlarmSpec(
                    name="anomaly",
                    tags=f"{machine}/{self.tag}",
                    equals=(2,),
                    priority=settings.alarm.priority,
                    suppress=False,
                    message="{machine}: sustained anomaly (see its anomaly events)",
                    description="raised by the anomaly detectors (plant file anomaly:)",
                )
            )
        return tuple(entries)


__all__ = [
    "AnomalyAlarmSpec",
    "AnomalySettings",
    "AnomalySpec",
    "DetectorSpec",
    "EwmaDetectorSpec",
    "MachineAnomalySpec",
    "PcaDetectorSpec",
    "SustainSpec",
]
