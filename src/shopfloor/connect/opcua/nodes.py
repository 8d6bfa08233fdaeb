"""Which nodes a connector follows and the tag path each one feeds.

Two ways, which may be combined:

* ``nodes:`` names node ids and their tags explicitly. A tag without ``/`` is a tag of the
  connector's asset (``asset/tag``); one with ``/`` is a full path.
* ``browse:`` names a folder or object. Every variable below it, down to ``browse_depth``
  levels of folders and objects (Organizes and HasComponent references; properties are not
  followed), becomes a tag whose path is the asset, then the browse names on the way down:
  browsing ``ns=2;s=acme/stuttgart/fabrication/line1`` with asset
  ``acme/stuttgart/fabrication/line1`` gives ``acme/stuttgart/fabrication/line1/press1/temp``.
  Characters a path segment may not hold become ``_``. Standard nodes (namespace 0) are
  skipped, so browsing the Objects folder does not follow the Server object.

Node ids may name their namespace by URI (``nsu=urn:...;s=...``); it is looked up in the
server's namespace array at each connection, so a server that renumbers its namespaces after a
restart is followed correctly.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaStringParsingError

from shopfloor.connect.base import ConnectorError
from shopfloor.connect.opcua.values import Point
from shopfloor.model.spec_opcua import OpcUaConnectorSpec

_NOT_IN_SEGMENT = re.compile(r"[^A-Za-z0-9_.\-]")
_TEXT_TYPES = {ua.NodeId(ua.Int32(ObjectIds.String)), ua.NodeId(ua.Int32(ObjectIds.LocalizedText))}
_HAS_PROPERTY = ua.NodeId(ua.Int32(ObjectIds.HasProperty))
_FOLLOWED = (ua.NodeClass.Object, ua.NodeClass.Variable)
_CHUNK = 500  # nodes per request: well under the operation limits servers commonly set


@dataclass(frozen=True)
class Missing:
    """A configured node the server does not have (or will not let us read)."""

    point: Point
    status: int
    reason: str


def segment(name: str) -> str:
    """A browse name made into a path segment (unusable characters become ``_``)."""
    return _NOT_IN_SEGMENT.sub("_", name) or "_"


async def node_id(client: Client, text: str) -> ua.NodeId:
    """Parse a node id, resolving a namespace URI (``nsu=``) to its index on this server."""
    try:
        parsed = ua.NodeId.from_string(text)
    except UaStringParsingError:
        raise ConnectorError(f"{text!r} is not a node id (e.g. ns=2;s=Line1.Temp)") from None
    uri = getattr(parsed, "NamespaceUri", None)
    if not uri:
        return ua.NodeId(parsed.Identifier, parsed.NamespaceIndex, parsed.NodeIdType)
    namespaces = await client.get_namespace_array()
    if uri not in namespaces:
        raise ConnectorError(f"node {text}: the server has no namespace {uri}")
    return ua.NodeId(parsed.Identifier, ua.Int16(namespaces.index(uri)), parsed.NodeIdType)


async def resolve(
    client: Client, spec: OpcUaConnectorSpec, log: logging.Logger
) -> tuple[list[Point], list[Missing]]:
    """The points the spec asks for, with their kinds read from the server, and the missing."""
    candidates: list[Point] = []
    for entry in spec.nodes:
        path = entry.tag if "/" in entry.tag else f"{spec.asset}/{entry.tag}"
        candidates.append(Point(await node_id(client, entry.node), path))
    if spec.browse is not None:
        root = await node_id(client, spec.browse)
        candidates += await browse(client, root, spec.asset, spec.browse_depth)
    points, missing = await _typed(client, _unique(candidates, log))
    if not points and not missing:
        raise ConnectorError(f"nothing to follow: {spec.browse} holds no variables")
    return points, missing


def _unique(points: Iterable[Point], log: logging.Logger) -> list[Point]:
    seen: dict[str, Point] = {}
    for point in points:
        first = seen.setdefault(point.path, point)
        if first is not point and first.node_id != point.node_id:
            log.warning(
                "%s and %s both map to %s; following the first",
                first.node_id.to_string(),
                point.node_id.to_string(),
                point.path,
            )
    return list(seen.values())


async def browse(client: Client, root: ua.NodeId, base: str, depth: int) -> list[Point]:
    """Every variable below ``root`` (breadth first), with its path under ``base``."""
    found: list[Point] = []
    level = [(root, base)]
    visited = {root}
    for _ in range(depth):
        children = await asyncio.gather(*(_children(client, node) for node, _ in level))
        next_level = []
        for (_, path), refs in zip(level, children, strict=True):
            for ref in refs:
                child = ua.NodeId(
                    ref.NodeId.Identifier, ref.NodeId.NamespaceIndex, ref.NodeId.NodeIdType
                )
                if child in visited:
                    continue
                visited.add(child)
                child_path = f"{path}/{segment(ref.BrowseName.Name or '')}"
                if ref.NodeClass == ua.NodeClass.Variable:
                    found.append(Point(child, child_path))
                else:
                    next_level.append((child, child_path))
        level = next_level
    return found


def _plain(expanded: ua.NodeId) -> ua.NodeId:
    """A browse result's (expanded) node id as a plain one, usable as a dictionary key."""
    return ua.NodeId(expanded.Identifier, expanded.NamespaceIndex, expanded.NodeIdType)


async def _children(client: Client, node: ua.NodeId) -> list[ua.ReferenceDescription]:
    refs = await client.get_node(node).get_children_descriptions()
    return [
        r
        for r in refs
        if r.NodeClass in _FOLLOWED
        and r.ReferenceTypeId != _HAS_PROPERTY
        and r.NodeId.NamespaceIndex != 0
    ]


async def _typed(client: Client, points: Sequence[Point]) -> tuple[list[Point], list[Missing]]:
    """Read each node's data type: text or numeric, or missing when the read fails."""
    typed: list[Point] = []
    missing: list[Missing] = []
    for start in range(0, len(points), _CHUNK):
        chunk = points[start : start + _CHUNK]
        nodes = [client.get_node(p.node_id) for p in chunk]
        values = await client.read_attributes(nodes, AttributeIds.DataType)
        for point, value in zip(chunk, values, strict=True):
            status = 0 if value.StatusCode is None else int(value.StatusCode.value)
            if status & 0x80000000:
                name = value.StatusCode.name if value.StatusCode is not None else "Bad"
                missing.append(Missing(point, status, f"node {point.node_id.to_string()}: {name}"))
                continue
            data_type = value.Value.Value if value.Value is not None else None
            typed.append(Point(point.node_id, point.path, data_type in _TEXT_TYPES))
    return typed, missing
