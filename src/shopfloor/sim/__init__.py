"""The factory twin: a simulated discrete production line (SimPy) that feeds the platform."""

from shopfloor.sim.default import default_plant, plant_or_default
from shopfloor.sim.machine import Dispatch, Part
from shopfloor.sim.twin import GroundTruth, MachineStatus, Twin, TwinOutput

__all__ = [
    "Dispatch",
    "GroundTruth",
    "MachineStatus",
    "Part",
    "Twin",
    "TwinOutput",
    "default_plant",
    "plant_or_default",
]
