"""Streaming anomaly detection: detectors with one contract, and NAB-style scoring.

- ``Detector``: the protocol (``fit``, ``score_many``, ``score_one``, ``save_state``,
  ``restore``, an automatic ``threshold``).
- ``EwmaDetector``: the live univariate detector (exponentially weighted z-score).
- ``ContextDetector``: the accurate univariate detector (the NAB configuration).
- ``PcaDetector``: the multivariate detector for the signals of one machine.
- ``AnomalyEngine`` / ``AnomalyService``: the detectors live per machine, from the plant
  file's ``anomaly:`` section (``live.py``).
"""

from shopfloor.monitor.anomaly.base import Detector, DetectorError
from shopfloor.monitor.anomaly.budget import AlarmBudget
from shopfloor.monitor.anomaly.context import ContextDetector
from shopfloor.monitor.anomaly.ewma import EwmaDetector
from shopfloor.monitor.anomaly.live import AnomalyEngine, AnomalyService
from shopfloor.monitor.anomaly.pca import PcaDetector

__all__ = [
    "AlarmBudget",
    "AnomalyEngine",
    "AnomalyService",
    "ContextDetector",
    "Detector",
    "DetectorError",
    "EwmaDetector",
    "PcaDetector",
]
