from __future__ import annotations

import doctest

import pytest

from shopfloor.model import assets
from shopfloor.model.assets import Asset, AssetLevel, AssetTree, DataType, Tag
from shopfloor.model.namespace import Pattern

ENTERPRISE, SITE, AREA = AssetLevel.ENTERPRISE, AssetLevel.SITE, AssetLevel.AREA
LINE, CELL, MACHINE = AssetLevel.LINE, AssetLevel.CELL, AssetLevel.MACHINE


def machine(name: str, *tag_names: str) -> Asset:
    return Asset(name, MACHINE, tags=tuple(Tag(t, "mm/s") for t in tag_names))


def small_tree() -> AssetTree:
    """acme/plant1 with line1 (cells) in area body, and line2 straight under the site."""
    cell = Asset("stamping", CELL, children=(machine("press1", "vibration", "temp"),))
    line1 = Asset("line1", LINE, children=(cell,), tags=(Tag("output", "parts/h"),))
    area = Asset("body", AREA, children=(line1,))
    line2 = Asset("line2", LINE, children=(machine("hemmer1", "temp"), machine("cam1")))
    site = Asset("plant1", SITE, children=(area, line2))
    return AssetTree(Asset("acme", ENTERPRISE, children=(site,)))


def test_levels_are_ordered_from_the_enterprise_down() -> None:
    assert list(AssetLevel) == sorted(AssetLevel)
    assert ENTERPRISE < SITE < AREA < LINE < CELL < MACHINE
    assert MACHINE > LINE
    assert LINE <= LINE


def test_a_level_knows_its_plural_and_the_levels_below_it() -> None:
    assert AREA.plural == "areas"
    assert LINE.below() == (CELL, MACHINE)
    assert MACHINE.below() == ()


def test_a_tag_path_is_its_asset_path_then_its_name() -> None:
    tree = small_tree()
    tag = tree.tag("acme/plant1/body/line1/stamping/press1/vibration")
    assert tag.path == "acme/plant1/body/line1/stamping/press1/vibration"
    assert tag.asset_path == "acme/plant1/body/line1/stamping/press1"


def test_an_asset_path_joins_the_names_from_the_enterprise_down() -> None:
    paths = [a.path for a in small_tree().assets()]
    assert paths == [
        "acme",
        "acme/plant1",
        "acme/plant1/body",
        "acme/plant1/body/line1",
        "acme/plant1/body/line1/stamping",
        "acme/plant1/body/line1/stamping/press1",
        "acme/plant1/line2",
        "acme/plant1/line2/hemmer1",
        "acme/plant1/line2/cam1",
    ]


def test_levels_may_be_skipped_but_must_descend() -> None:
    site = Asset("plant1", SITE, children=(machine("press1"),))
    assert site.children[0].path == "plant1/press1"


def test_a_machine_cannot_hold_a_line() -> None:
    with pytest.raises(ValueError, match="line 'line1' cannot be under machine 'press1'"):
        Asset("press1", MACHINE, children=(Asset("line1", LINE),))


def test_a_cell_cannot_sit_under_a_cell() -> None:
    with pytest.raises(ValueError, match="levels descend enterprise > site > area"):
        Asset("cell1", CELL, children=(Asset("cell2", CELL),))


def test_sibling_assets_need_different_names() -> None:
    with pytest.raises(ValueError, match="line 'line1' has two children named 'press1'"):
        Asset("line1", LINE, children=(machine("press1"), machine("press1")))


def test_one_asset_cannot_have_two_tags_with_one_name() -> None:
    with pytest.raises(ValueError, match="has two tags named 'temp'"):
        machine("press1", "temp", "temp")


def test_a_tag_and_a_child_asset_cannot_share_a_name() -> None:
    with pytest.raises(ValueError, match="tag and a child asset both named 'press1'"):
        Asset("line1", LINE, tags=(Tag("press1"),), children=(machine("press1"),))


def test_asset_and_tag_names_must_be_path_segments() -> None:
    with pytest.raises(ValueError, match="not a valid name"):
        Asset("line 1", LINE)
    with pytest.raises(ValueError, match="not a valid name"):
        Tag("oil/temp")


def test_a_tag_keeps_its_unit_in_canonical_spelling() -> None:
    assert Tag("temp", "°C").unit == "degC"
    assert Tag("count").unit == "1"


def test_a_tag_rejects_an_unknown_unit() -> None:
    with pytest.raises(ValueError, match="unknown unit 'furlong/fortnight'"):
        Tag("speed", "furlong/fortnight")


def test_a_tag_range_must_run_from_low_to_high() -> None:
    assert Tag("temp", "degC", low=0, high=120).range == (0, 120)
    with pytest.raises(ValueError, match="low must be below high"):
        Tag("temp", "degC", low=120, high=0)


def test_a_tag_range_needs_both_limits() -> None:
    with pytest.raises(ValueError, match="both a low and a high"):
        Tag("temp", "degC", low=0)


def test_bool_and_text_tags_have_neither_unit_nor_range() -> None:
    assert Tag("running", data_type=DataType.BOOL).unit == "1"
    with pytest.raises(ValueError, match="a bool tag has no unit"):
        Tag("running", "degC", DataType.BOOL)
    with pytest.raises(ValueError, match="a text tag has no range"):
        Tag("program", data_type=DataType.TEXT, low=0, high=1)


def test_find_an_asset_or_a_tag_by_path() -> None:
    tree = small_tree()
    assert tree.asset("acme/plant1/line2").level is LINE
    assert tree.find_asset("acme/plant1/line9") is None
    assert tree.find_tag("acme/plant1/line2/hemmer1/temp") is not None
    assert tree.find_tag("acme/plant1/line2/hemmer1") is None


def test_a_missing_path_raises_key_error_with_close_matches() -> None:
    with pytest.raises(KeyError, match="no tag 'acme/plant1/line2/hemmer1/tmp'; did you mean"):
        small_tree().tag("acme/plant1/line2/hemmer1/tmp")


def test_select_tag_paths_by_pattern() -> None:
    tree = small_tree()
    assert tree.select("acme/plant1/+/+/temp") == ["acme/plant1/line2/hemmer1/temp"]
    assert tree.select("acme/plant1/body/#") == [
        "acme/plant1/body/line1/output",
        "acme/plant1/body/line1/stamping/press1/vibration",
        "acme/plant1/body/line1/stamping/press1/temp",
    ]
    assert tree.select(Pattern("acme/plant1/line2/hemmer1/temp")) == [
        "acme/plant1/line2/hemmer1/temp"
    ]
    assert tree.select("acme/plant1/line2/hemmer1/nothing") == []


def test_every_tag_is_listed_once_in_tree_order() -> None:
    names = [t.name for t in small_tree().tags()]
    assert names == ["output", "vibration", "temp", "temp"]


def test_machines_lists_every_machine_on_any_level() -> None:
    paths = [m.path for m in small_tree().machines()]
    assert paths == [
        "acme/plant1/body/line1/stamping/press1",
        "acme/plant1/line2/hemmer1",
        "acme/plant1/line2/cam1",
    ]


def test_parent_and_owner_lookups_walk_up_the_tree() -> None:
    tree = small_tree()
    tag = tree.tag("acme/plant1/line2/hemmer1/temp")
    owner = tree.asset_of(tag)
    assert owner.name == "hemmer1"
    assert tree.parent(owner) == tree.asset("acme/plant1/line2")
    assert tree.parent(tree.root) is None


def test_the_root_of_a_tree_must_be_an_enterprise() -> None:
    with pytest.raises(ValueError, match="must be an enterprise, not a site"):
        AssetTree(Asset("plant1", SITE))


def test_assets_are_frozen_values() -> None:
    first, second = small_tree(), small_tree()
    assert first.root == second.root
    with pytest.raises(AttributeError):
        first.root.name = "other"  # type: ignore[misc]


def test_module_examples_run() -> None:
    assert doctest.testmod(assets).failed == 0
