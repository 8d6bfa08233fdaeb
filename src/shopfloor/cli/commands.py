"""Registers every command module with the app (imported lazily by :func:`run`)."""

import shopfloor.cli.schedule_more  # noqa: F401  (schedule gantt and schedule replan)
from shopfloor.cli import demo, detect, history, oee, plant, rul, schedule, serve  # noqa: F401
