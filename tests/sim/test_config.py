"""A wrong ``sim:`` section is a ConfigError that says what is wrong, not a traceback."""

from __future__ import annotations

import pytest

from shopfloor.model.errors import ConfigError
from shopfloor.model.plant import parse_plant
from shopfloor.sim import Twin, default_plant

from .history import default_yaml, plant_with


def twin_of(text: str) -> Twin:
    return Twin.from_plant(parse_plant(text, source="test.yaml"))


def changed(old: str, new: str) -> str:
    text = default_yaml()
    assert old in text
    return text.replace(old, new)


def test_a_station_naming_an_unknown_machine_is_a_config_error() -> None:
    text = changed("machines: [press1]", "machines: [press9]")
    with pytest.raises(ConfigError, match="station 'stamping' names machine 'press9'"):
        twin_of(text)


def test_a_machine_of_an_unknown_kind_in_the_asset_tree_is_a_config_error() -> None:
    text = changed("kind: stamping_press", "kind: laser_cutter")
    with pytest.raises(ConfigError, match="unknown machine kind 'laser_cutter'; known: "):
        twin_of(text)


def test_an_unknown_kind_in_the_machines_settings_is_a_config_error() -> None:
    plant = plant_with("  machines:\n    cnc2: {kind: lathe}\n")
    with pytest.raises(ConfigError, match="machine 'cnc2': unknown machine kind 'lathe'"):
        Twin.from_plant(plant)


def test_a_routing_through_an_unknown_station_is_a_config_error() -> None:
    text = changed(
        "routing: [stamping, machining, washing,", "routing: [stamping, grinding, washing,"
    )
    with pytest.raises(
        ConfigError, match=r"'housing-l' routes through unknown station\(s\) \['grinding'\]"
    ):
        twin_of(text)


def test_a_routing_against_the_flow_of_the_line_is_a_config_error() -> None:
    text = changed(
        "routing: [stamping, machining, washing,", "routing: [machining, stamping, washing,"
    )
    with pytest.raises(ConfigError, match="routing must follow the station order"):
        twin_of(text)


def test_an_order_for_an_unknown_product_is_a_config_error() -> None:
    orders = "  orders:\n    explicit: [{id: X-1, product: housing-xl, quantity: 5}]\n"
    with pytest.raises(ConfigError, match="order 'X-1' names unknown product 'housing-xl'"):
        plant_with(orders, replace="  orders:\n    quantity: [200, 700]\n")


def test_a_line_that_is_not_in_the_asset_tree_is_a_config_error() -> None:
    text = changed(
        "line: acme/stuttgart/fabrication/line1", "line: acme/stuttgart/fabrication/line7"
    )
    with pytest.raises(
        ConfigError, match="line 'acme/stuttgart/fabrication/line7' is not an asset"
    ):
        twin_of(text)


def test_a_plant_without_a_sim_section_is_a_config_error() -> None:
    text = default_yaml().split("\nsim:\n")[0]
    with pytest.raises(ConfigError, match="no 'sim:' section"):
        twin_of(text)


def test_an_unknown_key_in_the_sim_section_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="wear_accelleration"):
        plant_with("  wear_accelleration: 10\n")


def test_the_default_plant_makes_a_twin() -> None:
    assert len(Twin.from_plant(default_plant()).machines) == 9
