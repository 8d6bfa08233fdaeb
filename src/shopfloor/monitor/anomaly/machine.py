"""One machine watched live: learn its normal rows, then score every new row.

:class:`MachineWatch` buffers the machine's samples until ``training`` of data time has
passed since the first one, then decides which tags each detector reads (a glob takes the
*fast* tags only: numeric tags sampled at least half as often as the machine's fastest, so
states, counters and per-cycle values stay out unless named), builds rows (``rows.py``),
keeps those in the gating states (by default: running) and fits the detectors on them.
From then on each batch's rows are scored and passed to :class:`Episodes`.

Thresholds stay where ``fit`` set them, from the training window's false-alarm budget. The
detectors' own running budgets would otherwise learn a long anomaly, such as a bearing
wearing out over days, as normal: after a week of it the threshold would sit among its
scores, and the next wear-out would have to exceed the last one to be seen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shopfloor.model.event import Event
from shopfloor.model.spec_anomaly import AnomalySettings, EwmaDetectorSpec, PcaDetectorSpec
from shopfloor.monitor.anomaly.base import DetectorError
from shopfloor.monitor.anomaly.episodes import Episodes, Floats, Int64s, Rule, ScoredRows
from shopfloor.monitor.anomaly.ewma import EwmaDetector
from shopfloor.monitor.anomaly.pca import PcaDetector
from shopfloor.monitor.anomaly.rows import RowAligner, Series, join_series, sample_period_ns

NS = 10**9
FAST_SHARE = 0.5
MIN_ROWS = 60
TRAINED = "anomaly.trained"

AnyDetector = PcaDetector | EwmaDetector


@dataclass
class Unit:
    """One fitted detector over some columns, with the threshold it keeps."""

    kind: str
    spec: int
    """Index of the detector's entry in the settings."""
    columns: tuple[int, ...]
    detector: AnyDetector
    threshold: float
    contributions: PcaContributions | None = None


class PcaContributions:
    """Each signal's share of a PCA row's distance, from the detector's saved model.

    The distance the score maps is ``sqrt(T²/k + SPE/ref)``; signal j's part of T² is
    ``z_j * sum_k (t_k / l_k) v_kj`` (the parts sum to T²; negative parts count as 0) and
    its part of SPE is its squared residual.
    """

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.center = np.asarray(state["center"], dtype=np.float64)
        self.scale = np.asarray(state["scale"], dtype=np.float64)
        self.components = np.asarray(state["components"], dtype=np.float64)
        self.eigenvalues = np.asarray(state["eigenvalues"], dtype=np.float64)
        self.spe_ref = float(state["spe_ref"])

    def shares(self, rows: Floats) -> Floats:
        """Shares (rows x signals, each row summing to 1 or all 0)."""
        z = (np.nan_to_num(rows, nan=0.0) - self.center) / self.scale
        z = np.where(np.isfinite(rows), z, 0.0)
        projected = z @ self.components.T
        t2 = z * ((projected / self.eigenvalues) @ self.components)
        residual = z - projected @ self.components
        parts = np.maximum(t2, 0.0) / len(self.eigenvalues) + residual**2 / self.spe_ref
        total = parts.sum(axis=1, keepdims=True)
        return np.asarray(np.where(total > 0, parts / np.where(total > 0, total, 1.0), 0.0))


def odds(p: Floats | float) -> Floats:
    """p / (1 - p), the scale on which the excess over a threshold is measured."""
    q = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0 - 1e-12)
    return np.asarray(q / (1.0 - q))


class MachineWatch:
    """Training, then scoring, of one machine (see the module text)."""

    def __init__(self, path: str, settings: AnomalySettings) -> None:
        self.path = path
        self.settings = settings
        self.buffer: dict[str, list[Series]] = {}
        self.first_ns: int | None = None
        self.units: list[Unit] = []
        self.aligner: RowAligner | None = None
        self.gate: int | None = None
        self.episodes: Episodes | None = None
        self.period_ns = NS

    @property
    def trained(self) -> bool:
        """Whether the detectors are fitted and rows are being scored."""
        return self.episodes is not None

    @property
    def tags(self) -> tuple[str, ...]:
        """The tag names the detectors read, once trained."""
        return self.episodes.tags if self.episodes is not None else ()

    def process(self, series: Mapping[str, Series]) -> tuple[list[Event], Int64s, Floats]:
        """Events and derived flag samples from this machine's part of one batch.

        ``series`` maps tag names on the machine to their samples in the batch.
        """
        if self.episodes is None:
            return self._learn(series)
        assert self.aligner is not None
        full = {f"{self.path}/{name}": s for name, s in series.items()}
        times, values = self.aligner.rows(full)
        if self.gate is not None:
            keep = np.isin(values[:, self.gate], self._codes())
            times, values = times[keep], values[keep]
        return self.episodes.step(self._score(times, values))

    # -- training ----------------------------------------------------------------------------
    def _learn(self, series: Mapping[str, Series]) -> tuple[list[Event], Int64s, Floats]:
        newest = None
        for name, part in series.items():
            if len(part[0]):
                self.buffer.setdefault(name, []).append(part)
                first, last = int(part[0][0]), int(part[0][-1])
                self.first_ns = first if self.first_ns is None else min(self.first_ns, first)
                newest = last if newest is None else max(newest, last)
        span_ns = round(self.settings.training * NS)
        if newest is None or self.first_ns is None or newest - self.first_ns < span_ns:
            return [], np.zeros(0, np.int64), np.zeros(0)
        event = self._fit({name: join_series(parts) for name, parts in self.buffer.items()})
        if event is None:  # too little usable data: learn from the latest window instead
            self._forget_before(newest - span_ns)
            return [], np.zeros(0, np.int64), np.zeros(0)
        self.buffer, self.first_ns = {}, None
        return [event], np.array([event.time_ns], np.int64), np.zeros(1)

    def _forget_before(self, cut_ns: int) -> None:
        for name, parts in self.buffer.items():
            times, values = join_series(parts)
            keep = times >= cut_ns
            self.buffer[name] = [(times[keep], values[keep])]
        self.first_ns = cut_ns

    def _fit(self, data: Mapping[str, Series]) -> Event | None:
        counts = {name: len(s[0]) for name, s in data.items()}
        fastest = max(counts.values())
        fast = {name: counts[name] >= FAST_SHARE * fastest for name in counts}
        chosen = [
            tuple(sorted(n for n in data if n != self.settings.state_tag and d.selects(n, fast[n])))
            for d in self.settings.detectors
        ]
        names = sorted({n for cols in chosen for n in cols})
        if not names:
            return None
        clock = max(range(len(names)), key=lambda k: (counts[names[k]], -k))
        columns = [f"{self.path}/{n}" for n in names]
        gated = bool(self.settings.states) and self.settings.state_tag in data
        if gated:
            columns.append(f"{self.path}/{self.settings.state_tag}")
        aligner = RowAligner(columns, clock)
        times, values = aligner.rows({f"{self.path}/{n}": s for n, s in data.items()})
        if gated:
            keep = np.isin(values[:, -1], self._codes())
            times, values = times[keep], values[keep]
        units = self._fit_units(chosen, names, times, values)
        if not units:
            return None
        self.units, self.aligner = units, aligner
        self.gate = len(names) if gated else None
        self.period_ns = sample_period_ns(times)
        detector_names = [self._unit_name(u, names) for u in units]
        self.episodes = Episodes(self.path, names, detector_names, self._rule())
        return Event.new(
            time_ns=int(aligner.last_ns or 0),
            asset=self.path,
            kind=TRAINED,
            payload={
                "rows": len(times),
                "tags": names,
                "detectors": detector_names,
                "thresholds": [round(u.threshold, 6) for u in units],
                "gated_by": [s.value for s in self.settings.states] if gated else [],
            },
            actor="detector:anomaly",
        )

    def _fit_units(
        self, chosen: Sequence[tuple[str, ...]], names: Sequence[str], times: Int64s, x: Floats
    ) -> list[Unit]:
        units: list[Unit] = []
        for number, (spec, cols) in enumerate(zip(self.settings.detectors, chosen, strict=True)):
            index = tuple(names.index(c) for c in cols)
            groups = [index] if isinstance(spec, PcaDetectorSpec) else [(k,) for k in index]
            for group in groups if index else ():
                unit = self._fit_unit(number, group, times, x)
                if unit is not None:
                    units.append(unit)
        return units

    def _fit_unit(
        self, number: int, group: tuple[int, ...], times: Int64s, x: Floats
    ) -> Unit | None:
        spec = self.settings.detectors[number]
        part = x[:, list(group)]
        finite = np.all(np.isfinite(part), axis=1)
        if int(finite.sum()) < max(MIN_ROWS, len(group) + 2):
            return None
        detector = self._detector(spec)
        try:
            if isinstance(detector, PcaDetector):
                detector.fit(part[finite], times[finite])
                contributions = PcaContributions(detector.save_state())
                return Unit("pca", number, group, detector, detector.threshold, contributions)
            detector.fit(part[finite, 0], times[finite])
        except DetectorError:
            return None
        return Unit("ewma", number, group, detector, detector.threshold)

    def _detector(self, spec: PcaDetectorSpec | EwmaDetectorSpec) -> AnyDetector:
        per_day = self.settings.alarms_per_day
        if isinstance(spec, PcaDetectorSpec):
            return PcaDetector(variance_kept=spec.variance_kept, alarms_per_day=per_day)
        return EwmaDetector(half_life=spec.half_life, alarms_per_day=per_day)

    def _unit_name(self, unit: Unit, names: Sequence[str]) -> str:
        return unit.kind if unit.kind == "pca" else f"{unit.kind}:{names[unit.columns[0]]}"

    def _rule(self) -> Rule:
        s = self.settings
        per_row = self.period_ns / NS
        window = max(1, round(s.sustain.window / per_row))
        alarm = s.alarm
        return Rule(
            window_rows=window,
            share=s.sustain.share,
            end_rows=max(window, round(s.end_after / per_row)),
            severity=None if alarm is None else alarm.severity,
            update_ns=round(s.update_every * NS),
        )

    def _codes(self) -> list[int]:
        return [state.code for state in self.settings.states]

    # -- scoring -----------------------------------------------------------------------------
    def _score(self, times: Int64s, values: Floats) -> ScoredRows:
        n, width = len(times), len(self.tags)
        best = np.zeros(n)
        score, threshold = np.zeros(n), np.ones(n)
        which = np.zeros(n, np.intp)
        weights = np.zeros((n, width))
        for u, unit in enumerate(self.units):
            part = values[:, list(unit.columns)]
            raw = unit.detector.score_many(part if unit.kind == "pca" else part[:, 0], times)
            excess = odds(raw) / max(float(odds(unit.threshold)), 1e-12)
            hot = excess >= 1.0
            if hot.any():
                shares = self._shares(unit, part[hot])
                weights[np.ix_(np.flatnonzero(hot), np.asarray(unit.columns))] += (
                    shares * excess[hot, None]
                )
            better = excess > best
            best = np.where(better, excess, best)
            score = np.where(better, raw, score)
            threshold = np.where(better, unit.threshold, threshold)
            which = np.where(better, u, which)
        return ScoredRows(times, best, score, threshold, which, weights)

    def _shares(self, unit: Unit, rows: Floats) -> Floats:
        if unit.contributions is None:
            return np.ones((len(rows), 1))
        return unit.contributions.shares(rows)

    # -- saving ------------------------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """JSON-compatible state; a machine still training saves nothing but its settings."""
        state: dict[str, Any] = {"settings": self.settings.model_dump(mode="json")}
        if self.episodes is None or self.aligner is None:
            return state
        state.update(
            columns=list(self.aligner.columns),
            clock=self.aligner.clock,
            gate=self.gate,
            period_ns=self.period_ns,
            units=[
                {
                    "kind": u.kind,
                    "spec": u.spec,
                    "columns": list(u.columns),
                    "threshold": u.threshold,
                    "detector": u.detector.save_state(),
                }
                for u in self.units
            ],
            aligner=self.aligner.save_state(),
            episodes=self.episodes.save_state(),
        )
        return state

    def restore(self, state: Mapping[str, Any]) -> bool:
        """Continue from :meth:`save_state` output; False (and untouched) when the settings
        changed since, or the machine was still training: it then learns afresh."""
        if state.get("settings") != self.settings.model_dump(mode="json") or "units" not in state:
            return False
        columns = [str(c) for c in state["columns"]]
        self.aligner = RowAligner(columns, int(state["clock"]))
        self.aligner.restore(state["aligner"])
        self.gate = None if state["gate"] is None else int(state["gate"])
        self.period_ns = int(state["period_ns"])
        self.units = [self._restored_unit(u) for u in state["units"]]
        width = len(columns) - (0 if self.gate is None else 1)
        names = [c.rpartition("/")[2] for c in columns[:width]]
        labels = [self._unit_name(u, names) for u in self.units]
        self.episodes = Episodes(self.path, names, labels, self._rule())
        self.episodes.restore(state["episodes"])
        return True

    def _restored_unit(self, saved: Mapping[str, Any]) -> Unit:
        kind, number = str(saved["kind"]), int(saved["spec"])
        detector = self._detector(self.settings.detectors[number])
        detector.restore(saved["detector"])
        contributions = PcaContributions(saved["detector"]) if kind == "pca" else None
        threshold = float(saved["threshold"])
        if not math.isfinite(threshold):
            threshold = 1.0
        columns = tuple(int(c) for c in saved["columns"])
        return Unit(kind, number, columns, detector, threshold, contributions)
