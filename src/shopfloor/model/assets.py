"""The ISA-95 asset model: an enterprise's assets, the tags they carry, and lookups.

Assets nest from the enterprise down: enterprise, site, area, line, cell, machine. A plant may
skip levels (a line may hold machines directly, a site may hold lines), but levels always
descend: a machine cannot hold a line and a cell cannot sit under a cell.

Every asset and tag has a path in the unified namespace, the names from the enterprise down:
``acme/plant1/body/line2/press3`` is a machine and ``acme/plant1/body/line2/press3/temp`` its
tag. Assets are built bottom-up; an asset gives its children and tags their paths, so paths
are always consistent with the tree they sit in.

>>> press = Asset("press1", AssetLevel.MACHINE, tags=(Tag("temp", "°C"),))
>>> line = Asset("line1", AssetLevel.LINE, children=(press,))
>>> tree = AssetTree(Asset("acme", AssetLevel.ENTERPRISE, children=(line,)))
>>> tree.tag("acme/line1/press1/temp").unit
'degC'
>>> tree.select("acme/+/+/temp")
['acme/line1/press1/temp']
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from shopfloor.model.namespace import Pattern, check_segment, join, pattern
from shopfloor.model.units import DIMENSIONLESS, canonical_unit


class AssetLevel(StrEnum):
    """An ISA-95 level, ordered from the enterprise (highest) down to the machine (lowest).

    ``AssetLevel.LINE < AssetLevel.MACHINE`` is true: "less" means higher up the tree.
    """

    ENTERPRISE = "enterprise"
    SITE = "site"
    AREA = "area"
    LINE = "line"
    CELL = "cell"
    MACHINE = "machine"

    @property
    def rank(self) -> int:
        """0 for the enterprise, 5 for a machine."""
        return _LEVEL_ORDER.index(self)

    @property
    def plural(self) -> str:
        """The plural name, as used for child lists in the plant file (``lines``)."""
        return f"{self.value}s"

    def below(self) -> tuple[AssetLevel, ...]:
        """The levels that may be children of this one, highest first."""
        return _LEVEL_ORDER[self.rank + 1 :]

    # StrEnum would compare alphabetically ("area" < "cell" < "enterprise"); compare by rank.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, AssetLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, AssetLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, AssetLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, AssetLevel):
            return NotImplemented
        return self.rank >= other.rank


_LEVEL_ORDER: tuple[AssetLevel, ...] = tuple(AssetLevel)
LEVEL_ORDER_TEXT = " > ".join(_LEVEL_ORDER)
"""The levels as one line of text for messages: ``enterprise > site > ... > machine``."""


class DataType(StrEnum):
    """What a tag's values are. Samples travel as float64; this says how to read them."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    TEXT = "text"

    @property
    def is_numeric(self) -> bool:
        """True for float and int, the types that have units and ranges."""
        return self in (DataType.FLOAT, DataType.INT)


def check_tag_unit(data_type: DataType, unit: str) -> str:
    """Return the canonical unit for a tag of ``data_type``, or raise ``ValueError``.

    Only numeric tags carry units; bool and text tags are dimensionless.
    """
    canonical = canonical_unit(unit)
    if canonical != DIMENSIONLESS and not DataType(data_type).is_numeric:
        raise ValueError(f"a {data_type} tag has no unit, but unit {unit!r} was given")
    return canonical


def check_range(data_type: DataType, low: float | None, high: float | None) -> None:
    """Raise ``ValueError`` unless (low, high) is a valid engineering range, or both None."""
    if low is None and high is None:
        return
    if low is None or high is None:
        raise ValueError("a range needs both a low and a high limit")
    if not DataType(data_type).is_numeric:
        raise ValueError(f"a {data_type} tag has no range; only float and int tags do")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"range limits must be finite numbers, not [{low}, {high}]")
    if not low < high:
        raise ValueError(f"range low must be below high, but got [{low:g}, {high:g}]")


@dataclass(frozen=True)
class Tag:
    """A measured or set value on an asset: name, unit (SI, canonical), type and range.

    ``asset_path`` is filled in when the tag is given to an :class:`Asset`; the tag's
    unified-namespace path is then ``asset_path/name``.
    """

    name: str
    unit: str = DIMENSIONLESS
    data_type: DataType = DataType.FLOAT
    low: float | None = None
    high: float | None = None
    description: str = ""
    asset_path: str = ""

    def __post_init__(self) -> None:
        check_segment(self.name)
        object.__setattr__(self, "data_type", DataType(self.data_type))
        object.__setattr__(self, "unit", check_tag_unit(self.data_type, self.unit))
        check_range(self.data_type, self.low, self.high)

    @property
    def path(self) -> str:
        """The unified-namespace path: the asset's path, then the tag name."""
        return join(self.asset_path, self.name) if self.asset_path else self.name

    @property
    def range(self) -> tuple[float, float] | None:
        """The engineering range ``(low, high)``, or None when the tag has none."""
        if self.low is None or self.high is None:
            return None
        return (self.low, self.high)


@dataclass(frozen=True)
class Asset:
    """A node of the ISA-95 hierarchy with its tags and child assets.

    ``parent_path`` is filled in by the parent (empty for the enterprise, or for an asset
    not yet placed in a tree). Construction checks names, that children sit on lower levels,
    and that no two children or tags share a name (their paths would collide).
    """

    name: str
    level: AssetLevel
    description: str = ""
    kind: str = ""
    tags: tuple[Tag, ...] = ()
    children: tuple[Asset, ...] = ()
    parent_path: str = ""
    ideal_cycle_s: float | None = None

    def __post_init__(self) -> None:
        check_segment(self.name)
        object.__setattr__(self, "level", AssetLevel(self.level))
        self._check_children()
        self._check_names()
        # Re-home children and tags under this asset's path; replace() re-runs their
        # __post_init__, which passes the new path further down.
        path = self.path
        homed = tuple(
            c if c.parent_path == path else replace(c, parent_path=path) for c in self.children
        )
        object.__setattr__(self, "children", homed)
        tags = tuple(t if t.asset_path == path else replace(t, asset_path=path) for t in self.tags)
        object.__setattr__(self, "tags", tags)

    def _check_children(self) -> None:
        for child in self.children:
            if not child.level > self.level:
                raise ValueError(
                    f"{child.level} {child.name!r} cannot be under {self.level} {self.name!r}: "
                    f"levels descend {LEVEL_ORDER_TEXT}"
                )

    def _check_names(self) -> None:
        first = duplicate_name(c.name for c in self.children)
        if first is not None:
            raise ValueError(f"{self.level} {self.name!r} has two children named {first!r}")
        first = duplicate_name(t.name for t in self.tags)
        if first is not None:
            raise ValueError(f"{self.level} {self.name!r} has two tags named {first!r}")
        clash = {t.name for t in self.tags} & {c.name for c in self.children}
        if clash:
            raise ValueError(
                f"{self.level} {self.name!r} has a tag and a child asset both named "
                f"{min(clash)!r}; their paths would be the same"
            )

    @property
    def path(self) -> str:
        """The unified-namespace path: asset names from the enterprise down."""
        return join(self.parent_path, self.name) if self.parent_path else self.name

    def walk(self) -> Iterator[Asset]:
        """This asset and every asset below it, parents before children."""
        yield self
        for child in self.children:
            yield from child.walk()


def duplicate_name(names: Iterable[str]) -> str | None:
    """The first name that occurs twice, or None."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


class AssetTree:
    """An enterprise's assets and tags, with lookups by path and by pattern.

    The root must be an enterprise. Iteration is in tree order: parents before children,
    siblings in the order given.
    """

    def __init__(self, root: Asset) -> None:
        if root.level is not AssetLevel.ENTERPRISE:
            raise ValueError(f"the root of an asset tree must be an enterprise, not a {root.level}")
        if root.parent_path:
            raise ValueError(f"the enterprise {root.name!r} cannot have a parent")
        self._root = root
        self._assets = {asset.path: asset for asset in root.walk()}
        self._tags = {tag.path: tag for asset in self._assets.values() for tag in asset.tags}

    @property
    def root(self) -> Asset:
        """The enterprise."""
        return self._root

    def assets(self, level: AssetLevel | None = None) -> Iterator[Asset]:
        """Every asset, or only those on ``level``."""
        return (a for a in self._assets.values() if level is None or a.level is level)

    def machines(self) -> list[Asset]:
        """Every machine, in tree order."""
        return list(self.assets(AssetLevel.MACHINE))

    def tags(self, selector: str | Pattern | None = None) -> Iterator[Tag]:
        """Every tag, or those whose path matches ``selector`` (``+`` and ``#`` wildcards)."""
        if selector is None:
            return iter(self._tags.values())
        chosen = pattern(selector)
        if chosen.is_literal:
            found = self._tags.get(chosen.text)
            return iter(() if found is None else (found,))
        return (tag for path, tag in self._tags.items() if chosen.matches(path))

    def select(self, selector: str | Pattern) -> list[str]:
        """The paths of the tags that match ``selector``, in tree order."""
        return [tag.path for tag in self.tags(selector)]

    def find_asset(self, path: str) -> Asset | None:
        """The asset at ``path``, or None."""
        return self._assets.get(path)

    def find_tag(self, path: str) -> Tag | None:
        """The tag at the full unified-namespace ``path``, or None."""
        return self._tags.get(path)

    def asset(self, path: str) -> Asset:
        """The asset at ``path``; ``KeyError`` (with close matches) when there is none."""
        found = self._assets.get(path)
        if found is None:
            raise KeyError(_not_found("asset", path, self._assets))
        return found

    def tag(self, path: str) -> Tag:
        """The tag at ``path``; ``KeyError`` (with close matches) when there is none."""
        found = self._tags.get(path)
        if found is None:
            raise KeyError(_not_found("tag", path, self._tags))
        return found

    def parent(self, asset: Asset) -> Asset | None:
        """The asset that holds ``asset``, or None for the enterprise."""
        return self._assets.get(asset.parent_path) if asset.parent_path else None

    def asset_of(self, tag: Tag) -> Asset:
        """The asset that carries ``tag``."""
        return self.asset(tag.asset_path)


def _not_found(what: str, path: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(path, list(known), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"no {what} {path!r}{hint}"
