"""The plant file, schema version 1: assets, tags, calendar and historian settings in YAML.

:func:`load_plant` reads a file and :func:`parse_plant` reads text; both return a
:class:`Plant`, the asset tree with the file's other sections. Every problem raises
:class:`PlantFileError` (a :class:`~shopfloor.model.errors.ConfigError`) whose message is
one line naming the file, the line, the key and what is wrong::

    plant.yaml:23: enterprise.sites[0].lines[1].machines[2].tags[0].unit: unknown unit ...

The schema is the pydantic model :class:`PlantSpec`. The asset hierarchy sits under
``enterprise:``; every other top-level key is an optional section, so later features add
their sections (``sim:``, ``connectors:``, ``alarms:``, ``anomaly:``, ``maintenance:``) as
new optional fields without touching the asset part. ``python -m shopfloor.model.plant``
prints the JSON Schema, which is published as ``docs/plant-schema.json``. See
``docs/plant-file.md`` for the reference.
"""

from __future__ import annotations

import difflib
import inspect
import json
import os
import re
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from shopfloor.model.assets import (
    LEVEL_ORDER_TEXT,
    Asset,
    AssetLevel,
    AssetTree,
    DataType,
    Tag,
    check_range,
    check_tag_unit,
)
from shopfloor.model.calendar_spec import CalendarSpec
from shopfloor.model.connectors import AnyConnectorSpec, ConnectorSpec
from shopfloor.model.errors import ConfigError
from shopfloor.model.namespace import join
from shopfloor.model.sim_spec import SimSpec
from shopfloor.model.spec_alarms import AlarmsSpec
from shopfloor.model.spec_anomaly import AnomalySpec
from shopfloor.model.spec_maintenance import MaintenanceSpec
from shopfloor.model.spec_types import Duration, Name
from shopfloor.model.units import DIMENSIONLESS

try:  # libyaml reads large plant files about ten times faster than pure-Python PyYAML
    from yaml import CSafeLoader as _LibYamlLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _LibYamlLoader  # type: ignore[assignment]

SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
"""The plant-file versions this shopfloor reads."""

SCHEMA_ID = "urn:shopfloor:plant-file:1"
"""The ``$id`` of the published JSON Schema for plant files of version 1."""

Loc = tuple[int | str, ...]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TagSpec(_Spec):
    """A tag on an asset: a measured or set value with a unit, type and engineering range."""

    name: Name = Field(description="unique among the asset's tags and child assets")
    data_type: DataType = Field(DataType.FLOAT, alias="type")
    unit: str = Field(
        DIMENSIONLESS,
        description="SI unit, e.g. mm/s, degC, A, kW, bar, l/min, rpm, %; 1 = dimensionless",
    )
    range_: tuple[float, float] | None = Field(
        None, alias="range", description="engineering range [low, high], low < high"
    )
    description: str = ""

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str, info: ValidationInfo) -> str:
        return check_tag_unit(info.data.get("data_type", DataType.FLOAT), unit)

    @field_validator("range_")
    @classmethod
    def _ordered_range(
        cls, value: tuple[float, float] | None, info: ValidationInfo
    ) -> tuple[float, float] | None:
        if value is not None:
            check_range(info.data.get("data_type", DataType.FLOAT), *value)
        return value

    def to_tag(self, asset_path: str = "") -> Tag:
        """The :class:`Tag` this entry describes, on the asset at ``asset_path``."""
        low, high = self.range_ if self.range_ is not None else (None, None)
        return Tag(self.name, self.unit, self.data_type, low, high, self.description, asset_path)


class _AssetSpec(_Spec):
    level: ClassVar[AssetLevel]

    name: Name = Field(description="unique among its siblings; part of every path below it")
    description: str = ""
    tags: tuple[TagSpec, ...] = ()

    def child_lists(self) -> Iterator[tuple[str, Sequence[_AssetSpec]]]:
        """(key, entries) for each child list this level may hold, highest level first."""
        for level in self.level.below():
            yield level.plural, getattr(self, level.plural, ())

    def to_asset(self, parent_path: str = "") -> Asset:
        """The :class:`Asset` this entry describes, with its tags and children."""
        # Built top-down with known paths, so Asset need not re-home (copy) its subtree.
        path = join(parent_path, self.name) if parent_path else self.name
        children = tuple(c.to_asset(path) for _, items in self.child_lists() for c in items)
        tags = tuple(t.to_tag(path) for t in self.tags)
        kind = getattr(self, "kind", "")
        ideal = getattr(self, "ideal_cycle_time", None)
        return Asset(
            self.name, self.level, self.description, kind, tags, children, parent_path, ideal
        )


class MachineSpec(_AssetSpec):
    """A machine: the lowest level; it holds tags but no assets."""

    level: ClassVar[AssetLevel] = AssetLevel.MACHINE
    kind: str = Field("", description="free-text machine kind, e.g. stamping_press")
    ideal_cycle_time: Duration | None = Field(
        None, description="ideal (planned) time per part, for OEE performance"
    )


class CellSpec(_AssetSpec):
    """A work cell: holds machines."""

    level: ClassVar[AssetLevel] = AssetLevel.CELL
    machines: tuple[MachineSpec, ...] = ()


class LineSpec(_AssetSpec):
    """A production line: holds cells and/or machines."""

    level: ClassVar[AssetLevel] = AssetLevel.LINE
    cells: tuple[CellSpec, ...] = ()
    machines: tuple[MachineSpec, ...] = ()


class AreaSpec(_AssetSpec):
    """An area of a site: holds lines, cells and/or machines."""

    level: ClassVar[AssetLevel] = AssetLevel.AREA
    lines: tuple[LineSpec, ...] = ()
    cells: tuple[CellSpec, ...] = ()
    machines: tuple[MachineSpec, ...] = ()


class SiteSpec(_AssetSpec):
    """A site (a plant): holds areas, lines, cells and/or machines."""

    level: ClassVar[AssetLevel] = AssetLevel.SITE
    areas: tuple[AreaSpec, ...] = ()
    lines: tuple[LineSpec, ...] = ()
    cells: tuple[CellSpec, ...] = ()
    machines: tuple[MachineSpec, ...] = ()


class EnterpriseSpec(_AssetSpec):
    """The enterprise, root of the asset hierarchy; usually holds sites."""

    level: ClassVar[AssetLevel] = AssetLevel.ENTERPRISE
    sites: tuple[SiteSpec, ...] = ()
    areas: tuple[AreaSpec, ...] = ()
    lines: tuple[LineSpec, ...] = ()
    cells: tuple[CellSpec, ...] = ()
    machines: tuple[MachineSpec, ...] = ()


class RetentionSpec(_Spec):
    """How long the historian keeps data; a missing entry keeps it forever."""

    samples: Duration | None = None
    events: Duration | None = None


class HistorianSpec(_Spec):
    """Settings for the history store."""

    retention: RetentionSpec = RetentionSpec()


class PlantSpec(_Spec):
    """A shopfloor plant file, version 1: the asset hierarchy and optional sections."""

    version: Literal[1] = Field(description="plant-file schema version; this schema is 1")
    enterprise: EnterpriseSpec
    calendar: CalendarSpec | None = None
    historian: HistorianSpec = HistorianSpec()
    sim: SimSpec | None = Field(None, description="the factory twin of one line (docs/twin.md)")
    connectors: tuple[ConnectorSpec, ...] = Field(
        (), description="devices to read from (docs/connectors.md)"
    )
    alarms: AlarmsSpec | None = Field(None, description="ISA-18.2 alarms (docs/alarms.md)")
    anomaly: AnomalySpec = Field(
        AnomalySpec(), description="anomaly detectors per machine (docs/anomaly.md)"
    )
    maintenance: MaintenanceSpec = Field(
        MaintenanceSpec(), description="health and remaining useful life (docs/rul.md)"
    )

    @model_validator(mode="after")
    def _unique_connector_names(self) -> PlantSpec:
        names = [c.name for c in self.connectors]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"connector names must be unique; repeated: {', '.join(twice)}")
        return self


class Plant(AssetTree):
    """A plant: its asset tree (all :class:`AssetTree` lookups) and its file's sections."""

    def __init__(self, spec: PlantSpec, source: str = "<string>") -> None:
        super().__init__(spec.enterprise.to_asset())
        self._spec = spec
        self._source = source

    @property
    def spec(self) -> PlantSpec:
        """The validated plant file, for its sections (calendar, historian, ...)."""
        return self._spec

    @property
    def source(self) -> str:
        """Where the plant was read from: a file path, or ``<string>``."""
        return self._source

    @property
    def name(self) -> str:
        """The enterprise's name."""
        return self.root.name

    @property
    def calendar(self) -> CalendarSpec | None:
        """The working-time calendar, or None when the file has none."""
        return self._spec.calendar

    @property
    def sim(self) -> SimSpec | None:
        """The factory twin's settings, or None when the file has none."""
        return self._spec.sim

    @property
    def alarms(self) -> AlarmsSpec | None:
        """The alarm definitions, or None when the file has none."""
        return self._spec.alarms

    @property
    def anomaly(self) -> AnomalySpec:
        """The anomaly detectors per machine; the defaults when the file has no section."""
        return self._spec.anomaly

    @property
    def maintenance(self) -> MaintenanceSpec:
        """Health and RUL estimation; the defaults when the file has no section."""
        return self._spec.maintenance

    @property
    def connectors(self) -> tuple[AnyConnectorSpec, ...]:
        """The devices to read from, as declared."""
        return self._spec.connectors

    @property
    def historian(self) -> HistorianSpec:
        """The historian settings (retention); defaults when the file has none."""
        return self._spec.historian


@dataclass(frozen=True)
class PlantProblem:
    """One problem in a plant file: where (file, line, key path) and what."""

    source: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f"{self.key}: {self.message}" if self.key else self.message
        return " ".join(f"{where}: {what}".split())  # always one line


class PlantFileError(ConfigError):
    """A plant file cannot be used. ``str()`` is the first problem; ``problems`` has all."""

    code = "config.plant"

    def __init__(self, problems: Sequence[PlantProblem]) -> None:
        self.problems = tuple(problems)
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{self.problems[0]}{suffix}")


def load_plant(path: str | os.PathLike[str]) -> Plant:
    """Read and check a plant file; raise :class:`PlantFileError` on any problem."""
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _error(source, None, (), "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(source, None, (), f"cannot read the file: {exc}") from exc
    return parse_plant(text, source)


def parse_plant(text: str, source: str = "<string>") -> Plant:
    """Check plant-file text; ``source`` names it in error messages."""
    node, data = _read_yaml(text, source)
    _check_header(data, node, source)
    try:
        spec = PlantSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(source, node, error) for error in exc.errors()]
        raise PlantFileError(sorted(problems, key=lambda p: p.line or 0)) from exc
    clashes = [
        PlantProblem(source, _line_of(node, loc), _key_path(loc), message)
        for loc, message in _name_clashes(spec.enterprise, ("enterprise",))
    ]
    if clashes:
        raise PlantFileError(clashes)
    return Plant(spec, source)


def plant_json_schema() -> dict[str, Any]:
    """The JSON Schema of plant files, version 1 (as published in docs/plant-schema.json)."""
    schema = PlantSpec.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "shopfloor plant file, version 1",
    }


def plant_json_schema_text() -> str:
    """:func:`plant_json_schema` as pretty JSON with sorted keys and a final newline."""
    return json.dumps(plant_json_schema(), indent=2, sort_keys=True) + "\n"


# --- YAML with line numbers ------------------------------------------------------------


class _PlantLoader(_LibYamlLoader):
    """YAML 1.2 core-schema scalars: ``06:00`` and ``2026-12-25`` stay text, and only
    true/false are booleans (YAML 1.1 would read ``06:00`` as 360 and ``no`` as false)."""


def _yaml12_resolvers() -> None:
    replaced = {"bool", "int", "float", "timestamp"}
    _PlantLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag.rsplit(":", 1)[-1] not in replaced]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    rules = {
        "bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        "int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        "float": (
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+0123456789.",
        ),
    }
    for name, (regex, first) in rules.items():
        _PlantLoader.add_implicit_resolver(f"tag:yaml.org,2002:{name}", re.compile(regex), first)
    _PlantLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _construct_int(loader: _PlantLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    # Base 0 reads 0x.. and 0o..; plain digits are decimal even with leading zeros (1.2).
    return int(text, 0) if text[:2] in ("0x", "0o") else int(text, 10)


_yaml12_resolvers()


def _read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    loader = _PlantLoader(text)
    try:
        node = loader.get_single_node()
        _check_duplicate_keys(node, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, source) from exc
    except yaml.YAMLError as exc:
        raise _error(source, None, (), f"YAML error: {exc}") from exc
    finally:
        loader.dispose()
    return node, data


def _yaml_error(exc: yaml.MarkedYAMLError, source: str) -> PlantFileError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    context = ""
    if exc.context and exc.context_mark is not None:
        context = f" ({exc.context} at line {exc.context_mark.line + 1})"
    return _error(source, line, (), f"YAML syntax error: {exc.problem}{context}")


def _check_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    # PyYAML keeps the last of two equal keys silently; a second `machines:` would drop
    # the first list without a word.
    pending, seen = [node], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            _unique_keys(current, source)
            pending.extend(value for _, value in current.value)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)


def _unique_keys(node: yaml.MappingNode, source: str) -> None:
    first_line: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
            continue
        line = key.start_mark.line + 1
        if key.value in first_line:
            message = f"duplicate key {key.value!r} (first at line {first_line[key.value]})"
            raise _error(source, line, (), message)
        first_line[key.value] = line


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """The line of the key (or list item) at ``loc``, or of the deepest part that exists."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        key_node, node = found
        line = key_node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: int | str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item, item
    return None


# --- checks and messages ---------------------------------------------------------------


def _check_header(data: Any, node: yaml.Node | None, source: str) -> None:
    supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    if data is None:
        raise _error(source, 1, (), "the file is empty; a plant file starts with `version: 1`")
    if not isinstance(data, dict):
        got = type(data).__name__
        raise _error(source, 1, (), f"the top level must be a mapping of keys, not a {got}")
    if "version" not in data:
        message = f"missing; add `version: 1` at the top (supported versions: {supported})"
        raise _error(source, 1, ("version",), message)
    version = data["version"]
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        message = f"version {version!r} is not supported (supported versions: {supported})"
        raise _error(source, _line_of(node, ("version",)), ("version",), message)


def _name_clashes(spec: _AssetSpec, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """(loc, message) for each tag or child whose name an earlier sibling already uses."""
    entries: list[tuple[str, Loc]] = [
        (tag.name, (*loc, "tags", i)) for i, tag in enumerate(spec.tags)
    ]
    for key, items in spec.child_lists():
        entries.extend((child.name, (*loc, key, i)) for i, child in enumerate(items))
    first: dict[str, Loc] = {}
    for name, where in entries:
        if name in first:
            message = (
                f"name {name!r} is already used by {_key_path(first[name])}; the tags and "
                f"children of one {spec.level} need different names"
            )
            yield (*where, "name"), message
        first.setdefault(name, where)
    for key, items in spec.child_lists():
        for i, child in enumerate(items):
            yield from _name_clashes(child, (*loc, key, i))


def _problem(source: str, node: yaml.Node | None, error: ErrorDetails) -> PlantProblem:
    loc = tuple(error["loc"])
    return PlantProblem(source, _line_of(node, loc), _key_path(loc), _message(error, loc))


def _message(error: ErrorDetails, loc: Loc) -> str:
    kind, text = error["type"], error["msg"]
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in ("value_error", "assertion_error"):
        return text.split(", ", 1)[-1]  # drop pydantic's "Value error, " prefix
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, not {_shown(error['input'])}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, not {_shown(error['input'])}"
    text = text.split(", unable to")[0]  # pydantic's detail repeats what `not ...` shows
    return f"{text[:1].lower()}{text[1:]}, not {_shown(error['input'])}"


def _shown(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, dict | list | tuple):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


def _unknown_key(loc: Loc) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    if model is None:
        return f"unknown key {key!r}"
    if issubclass(model, _AssetSpec) and key in {level.plural for level in AssetLevel}:
        return f"a {model.level} cannot hold {key}: levels descend {LEVEL_ORDER_TEXT}"
    allowed = [info.alias or name for name, info in model.model_fields.items()]
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed here: {', '.join(allowed)}"
    return f"unknown key {key!r}; {hint}"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc``, found through the fields."""
    model: type[BaseModel] | None = PlantSpec
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        info = fields.get(part)
        model = _inner_model(info.annotation) if info is not None else None
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _key_path(loc: Loc) -> str:
    """``('enterprise', 'sites', 0, 'name')`` -> ``enterprise.sites[0].name``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _error(source: str, line: int | None, loc: Loc, message: str) -> PlantFileError:
    return PlantFileError([PlantProblem(source, line, _key_path(loc), message)])


if __name__ == "__main__":
    print(plant_json_schema_text(), end="")
