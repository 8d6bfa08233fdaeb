"""Registers every command module with the app (imported lazily by :func:`run`)."""

from shopfloor.cli import demo, detect, history, oee, plant, rul, schedule, serve  # noqa: F401
