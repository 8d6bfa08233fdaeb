"""Checking a register map: every mistake is a ConfigError naming the connector and tag."""

from __future__ import annotations

from typing import Any

import pytest

from shopfloor.bus import MemoryBus
from shopfloor.connect.modbus.registers import Point, compile_map
from shopfloor.connect.registry import build_connector
from shopfloor.model.errors import ConfigError
from shopfloor.model.plant import parse_plant
from shopfloor.model.spec_modbus import ModbusConnectorSpec


def spec(*registers: dict[str, Any], **settings: Any) -> ModbusConnectorSpec:
    return ModbusConnectorSpec.model_validate(
        {
            "name": "press-plc",
            "type": "modbus",
            "host": "127.0.0.1",
            "asset": "acme/plant1/line2",
            "registers": list(registers),
            **settings,
        }
    )


def test_entries_resolve_to_full_paths_tables_and_types() -> None:
    compiled = compile_map(
        spec(
            {"tag": "press3/temperature", "address": "30001", "type": "float32"},
            {"tag": "press3/count", "address": 10},
            {"tag": "press3/running", "kind": "coil", "address": 0},
            {"tag": "press3/alarm", "address": "100001"},
        )
    )
    assert compiled.points == (
        Point("acme/plant1/line2/press3/temperature", "input_register", 0, "float32"),
        Point("acme/plant1/line2/press3/count", "holding_register", 10, "uint16"),
        Point("acme/plant1/line2/press3/running", "coil", 0, "bool"),
        Point("acme/plant1/line2/press3/alarm", "discrete_input", 0, "bool"),
    )


@pytest.mark.parametrize(
    ("registers", "message"),
    [
        (
            [{"tag": "a", "address": 10, "type": "float32"}, {"tag": "b", "address": 11}],
            "tag 'b': holding register 11 overlaps holding register 10..11 of tag 'a'",
        ),
        (
            [
                {"tag": "a", "address": 3, "type": "bool", "bit": 1},
                {"tag": "b", "address": 3, "type": "bool", "bit": 1},
            ],
            "holding register 3 bit 1 overlaps holding register 3 bit 1",
        ),
        (
            [{"tag": "a", "address": 3}, {"tag": "b", "address": 3, "type": "bool", "bit": 0}],
            "tag 'b': holding register 3 bit 0 overlaps",
        ),
        ([{"tag": "a", "address": 70000}], "tag 'a': address 70000 is out of range 0..65535"),
        ([{"tag": "a", "address": -1}], "tag 'a': address -1 is out of range"),
        (
            [{"tag": "a", "address": 65535, "type": "uint32"}],
            "tag 'a': uint32 at 65535 needs holding register 65535..65536, past the last",
        ),
        (
            [{"tag": "a", "kind": "coil", "address": 4, "type": "float32"}],
            "tag 'a': a coil holds one bit, so its type is bool, not float32",
        ),
        (
            [{"tag": "a", "kind": "discrete_input", "address": 4, "type": "int32"}],
            "tag 'a': a discrete input holds one bit, so its type is bool, not int32",
        ),
        (
            [{"tag": "a", "kind": "holding_register", "address": "30001"}],
            "tag 'a': address '30001' is Modicon notation for the input register table, "
            "but kind is holding_register",
        ),
        (
            [{"tag": "a", "kind": "coil", "address": "40010"}],
            "tag 'a': address '40010' is Modicon notation for the holding register table, "
            "but kind is coil",
        ),
        ([{"tag": "a", "address": "HR1"}], "tag 'a': address 'HR1' is neither a number nor"),
        (
            [{"tag": "a", "address": 1, "type": "uint16", "bit": 3}],
            "tag 'a': bit picks one bit of a register for a bool",
        ),
        ([{"tag": "a", "address": 1, "scale": 0}], "tag 'a': scale must be a finite number"),
        (
            [{"tag": "a", "address": 1, "type": "bool", "scale": 2}],
            "tag 'a': a bool is 0 or 1; scale and offset do not apply",
        ),
        ([{"tag": "a b", "address": 1}], "tag 'a b': 'a b' is not a valid name"),
        ([{"tag": "press1//temp", "address": 1}], "tag 'press1//temp': '' is not a valid name"),
        (
            [{"tag": "a", "address": 1}, {"tag": "a", "address": 2}],
            "tag 'a': the tag is mapped twice",
        ),
    ],
)
def test_a_bad_map_names_the_connector_the_tag_and_the_problem(
    registers: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_map(spec(*registers))
    assert str(caught.value).startswith("modbus connector 'press-plc', tag ")
    assert message in str(caught.value)


def test_bools_on_distinct_bits_of_one_register_are_no_overlap() -> None:
    compiled = compile_map(
        spec(
            {"tag": "a", "address": 3, "type": "bool", "bit": 0},
            {"tag": "b", "address": 3, "type": "bool", "bit": 15},
        )
    )
    assert [p.bit for p in compiled.points] == [0, 15]


def test_the_same_address_in_different_tables_is_no_overlap() -> None:
    compiled = compile_map(
        spec(
            {"tag": "a", "address": "40001"},
            {"tag": "b", "address": "30001"},
            {"tag": "c", "address": "00001"},
            {"tag": "d", "address": "10001"},
        )
    )
    assert {p.kind for p in compiled.points} == {
        "holding_register",
        "input_register",
        "coil",
        "discrete_input",
    }


def test_a_32_bit_value_needs_requests_of_at_least_two_registers() -> None:
    with pytest.raises(ConfigError, match="tag 'a': float32 takes 2"):
        compile_map(spec({"tag": "a", "address": 0, "type": "float32"}, max_registers=1))


def test_a_bad_asset_path_names_the_connector() -> None:
    with pytest.raises(ConfigError, match="modbus connector 'press-plc': asset: "):
        compile_map(spec({"tag": "a", "address": 0}, asset="acme/+/line"))


def test_the_registry_builds_the_poller_and_reports_map_errors_as_config_errors() -> None:
    good = build_connector(spec({"tag": "a", "address": 0}), MemoryBus())
    assert type(good).__name__ == "ModbusPoller"
    with pytest.raises(ConfigError, match="tag 'a': address 70000"):
        build_connector(spec({"tag": "a", "address": 70000}), MemoryBus())


def test_a_plant_file_register_map_loads_with_quoted_modicon_notation() -> None:
    plant = parse_plant(PLANT)
    (connector,) = plant.connectors
    assert isinstance(connector, ModbusConnectorSpec)
    points = compile_map(connector).points
    assert [(p.kind, p.address) for p in points] == [
        ("input_register", 0),
        ("holding_register", 10),
        ("coil", 0),
    ]
    assert connector.poll_interval == 0.5


PLANT = """\
version: 1
enterprise:
  name: acme
  sites:
    - name: plant1
      lines:
        - name: line2
          machines:
            - name: press3
connectors:
  - name: press-plc
    type: modbus
    host: 10.0.4.21
    asset: acme/plant1/line2
    poll_interval: 500ms
    registers:
      - {tag: press3/temperature, address: "30001", type: float32, unit: degC}
      - {tag: press3/good_count, address: 10, type: uint32}
      - {tag: press3/running, kind: coil, address: 0}
"""
