"""Warnings against ground truth: which failures were warned of, how early, and false alarms.

A warning of a machine is *true* when a failure of the same machine follows within the
window (default seven days); a failure is *warned of* when a warning of its machine falls
in the window before it, and its lead time runs from the first such warning. A warning
whose window reaches past the end of the run with no failure yet cannot be judged: it is
counted as *open*, and the machine-days behind the false-warning rate stop a window before
the end, so both sides of the rate cover the same span.

Random faults (jams, sensor faults) strike without warning by construction; wear failures
are what a detector can foresee. So every figure is given against all failures and against
wear failures only; a warning followed only by a random fault is false in the latter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class Failure:
    """One failure of the ground truth: machine path, time and kind (wear, fault, ...)."""

    machine: str
    time_ns: int
    kind: str


@dataclass
class Judgement:
    """Counts over one or more runs, against one set of failures (all, or wear only)."""

    failures: int = 0
    warned: int = 0
    leads_s: list[float] = field(default_factory=list)
    warnings: int = 0
    true: int = 0
    false: int = 0
    open: int = 0
    machine_days: float = 0.0

    def add(self, other: Judgement) -> None:
        """Pool ``other`` into this one (runs of several seeds)."""
        self.failures += other.failures
        self.warned += other.warned
        self.leads_s += other.leads_s
        self.warnings += other.warnings
        self.true += other.true
        self.false += other.false
        self.open += other.open
        self.machine_days += other.machine_days

    @property
    def warned_share(self) -> float | None:
        """Share of failures with a warning in the window before them."""
        return self.warned / self.failures if self.failures else None

    @property
    def false_per_machine_day(self) -> float | None:
        """False warnings per machine-day of judged time."""
        return self.false / self.machine_days if self.machine_days > 0 else None

    def lead_quantile_h(self, q: float) -> float | None:
        """A quantile of the lead times, in hours."""
        return float(np.quantile(self.leads_s, q)) / 3600 if self.leads_s else None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "failures": self.failures,
            "warned": self.warned,
            "warned_share": self.warned_share,
            "lead_median_h": self.lead_quantile_h(0.5),
            "lead_p10_h": self.lead_quantile_h(0.1),
            "leads_h": [round(s / 3600, 3) for s in self.leads_s],
            "warnings": self.warnings,
            "true": self.true,
            "false": self.false,
            "open": self.open,
            "machine_days": round(self.machine_days, 3),
            "false_per_machine_day": self.false_per_machine_day,
        }


def judge(
    warnings: Mapping[str, Sequence[int]],
    failures: Sequence[Failure],
    *,
    machines: Sequence[str],
    start_ns: int,
    end_ns: int,
    window_ns: int,
    kinds: frozenset[str] | None = None,
) -> Judgement:
    """Judge ``warnings`` (times per machine) in ``[start_ns, end_ns)`` against the failures
    of the given ``kinds`` (None: every kind) in the same span."""
    counted = [
        f for f in failures if start_ns <= f.time_ns < end_ns and (kinds is None or f.kind in kinds)
    ]
    result = Judgement(failures=len(counted))
    result.machine_days = len(machines) * max(0, end_ns - window_ns - start_ns) / DAY_NS
    for f in counted:
        mine = np.asarray(warnings.get(f.machine, ()), dtype=np.int64)
        inside = mine[(mine >= max(start_ns, f.time_ns - window_ns)) & (mine < f.time_ns)]
        if len(inside):
            result.warned += 1
            result.leads_s.append((f.time_ns - int(inside.min())) / 1e9)
    for machine in machines:
        times = sorted(t for f in counted if f.machine == machine for t in [f.time_ns])
        for w in warnings.get(machine, ()):
            if not start_ns <= w < end_ns:
                continue
            result.warnings += 1
            if any(w < t <= w + window_ns for t in times):
                result.true += 1
            elif w + window_ns > end_ns:
                result.open += 1
            else:
                result.false += 1
    return result
