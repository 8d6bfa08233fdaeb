"""The plant that ships with shopfloor: the default line of ``shopfloor demo``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from shopfloor.model.plant import Plant, load_plant, parse_plant

PLANTS = resources.files("shopfloor") / "data" / "plants"


def default_plant() -> Plant:
    """The default plant (``shopfloor/data/plants/default.yaml``)."""
    resource = PLANTS / "default.yaml"
    return parse_plant(resource.read_text(encoding="utf-8"), source="default.yaml")


def plant_or_default(path: Path | None) -> Plant:
    """The plant file at ``path``, or the default plant when no path is given."""
    return default_plant() if path is None else load_plant(path)
