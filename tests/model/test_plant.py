from __future__ import annotations

import json
import re
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopfloor.model.assets import AssetLevel, DataType
from shopfloor.model.errors import ConfigError
from shopfloor.model.namespace import check_segment
from shopfloor.model.plant import (
    Plant,
    PlantFileError,
    PlantSpec,
    load_plant,
    parse_plant,
    plant_json_schema,
    plant_json_schema_text,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "plant-schema.json"
NAME_PATTERN = plant_json_schema()["$defs"]["TagSpec"]["properties"]["name"]["pattern"]
MINIMAL = resources.files("shopfloor") / "data" / "plants" / "minimal.yaml"


def plant_text(body: str) -> str:
    """A plant file: ``version: 1`` and the given (dedented) body."""
    return "version: 1\n" + textwrap.dedent(body).lstrip("\n")


def line_with(text: str, marker: str) -> int:
    """The 1-based number of the first line of ``text`` that contains ``marker``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def problem(text: str) -> str:
    """The one-line message that parsing ``text`` as plant.yaml raises."""
    with pytest.raises(PlantFileError) as caught:
        parse_plant(text, source="plant.yaml")
    return str(caught.value)


ONE_LINE_TWO_MACHINES = plant_text(
    """
    enterprise:
      name: acme
      sites:
        - name: plant1
          lines:
            - name: line1
              machines:
                - name: press1
                  tags:
                    - {name: temp, unit: degC, range: [0, 120]}
                - name: press2
                  tags:
                    - {name: speed, unit: UNIT}
    """
)


def test_the_minimal_example_plant_loads() -> None:
    plant = load_plant(str(MINIMAL))
    assert plant.name == "acme"
    assert [m.name for m in plant.machines()] == ["press1", "robot1", "hemmer1", "camera1"]
    assert len(plant.select("#")) == 13
    assert plant.source.endswith("minimal.yaml")


def test_the_minimal_plant_has_a_line_with_cells_and_one_without() -> None:
    plant = load_plant(str(MINIMAL))
    line1 = plant.asset("acme/plant1/body/line1")
    line2 = plant.asset("acme/plant1/body/line2")
    assert {c.level for c in line1.children} == {AssetLevel.CELL}
    assert {c.level for c in line2.children} == {AssetLevel.MACHINE}


def test_tags_carry_unit_type_range_and_description() -> None:
    plant = load_plant(str(MINIMAL))
    tag = plant.tag("acme/plant1/body/line1/stamping/press1/vibration_rms")
    assert (tag.unit, tag.data_type, tag.range) == ("mm/s", DataType.FLOAT, (0.0, 50.0))
    assert tag.description == "Frame vibration"
    assert plant.tag("acme/plant1/body/line1/stamping/press1/stroke_count").data_type == "int"


def test_a_machine_may_name_its_kind() -> None:
    plant = load_plant(str(MINIMAL))
    assert plant.asset("acme/plant1/body/line2/hemmer1").kind == "roller_hemmer"


def test_calendar_and_historian_sections_are_read() -> None:
    plant = load_plant(str(MINIMAL))
    assert plant.calendar is not None
    assert plant.calendar.timezone == "Europe/Berlin"
    assert plant.historian.retention.samples == 90 * 86400.0
    assert plant.historian.retention.events == 365 * 86400.0


def test_sections_other_than_the_enterprise_are_optional() -> None:
    plant = parse_plant(plant_text("enterprise: {name: acme}"))
    assert plant.calendar is None
    assert plant.historian.retention.samples is None
    assert [a.path for a in plant.assets()] == ["acme"]


def test_tag_type_defaults_to_float_and_unit_to_dimensionless() -> None:
    plant = parse_plant(plant_text("enterprise: {name: acme, tags: [{name: x}]}"))
    assert (plant.tag("acme/x").data_type, plant.tag("acme/x").unit) == (DataType.FLOAT, "1")


def test_a_site_may_hold_lines_and_a_line_may_hold_machines_directly() -> None:
    plant = parse_plant(ONE_LINE_TWO_MACHINES.replace("UNIT", "rpm"))
    assert plant.select("acme/+/+/+/temp") == ["acme/plant1/line1/press1/temp"]
    assert plant.asset("acme/plant1/line1").level is AssetLevel.LINE


def test_the_enterprise_may_hold_machines_directly() -> None:
    plant = parse_plant(plant_text("enterprise: {name: acme, machines: [{name: m1}]}"))
    assert [m.path for m in plant.machines()] == ["acme/m1"]


def test_an_unknown_unit_names_file_line_key_and_unit() -> None:
    text = ONE_LINE_TWO_MACHINES.replace("UNIT", "furlong/fortnight")
    line = line_with(text, "furlong")
    assert problem(text).startswith(
        f"plant.yaml:{line}: enterprise.sites[0].lines[0].machines[1].tags[0].unit: "
        "unknown unit 'furlong/fortnight'"
    )


def test_a_range_from_high_to_low_is_an_error_on_its_line() -> None:
    text = ONE_LINE_TWO_MACHINES.replace("range: [0, 120]", "range: [120, 0]").replace(
        "UNIT", "rpm"
    )
    line = line_with(text, "[120, 0]")
    expected = (
        f"plant.yaml:{line}: enterprise.sites[0].lines[0].machines[0].tags[0].range: "
        "range low must be below high, but got [120, 0]"
    )
    assert problem(text) == expected


def test_a_range_needs_two_numbers() -> None:
    text = plant_text("enterprise: {name: acme, tags: [{name: x, range: 5}]}")
    assert problem(text) == "plant.yaml:2: enterprise.tags[0].range: expected a list, not 5"


def test_error_lines_point_at_the_key_in_block_style() -> None:
    text = plant_text(
        """
        enterprise:
          name: acme
          tags:
            - name: x
              unit: furlong
        """
    )
    assert problem(text).startswith(f"plant.yaml:{line_with(text, 'furlong')}: ")


def test_duplicate_sibling_names_are_an_error_at_the_second() -> None:
    text = ONE_LINE_TWO_MACHINES.replace("name: press2", "name: press1").replace("UNIT", "rpm")
    line = len(text.splitlines()) - 2  # the second "- name: press1"
    assert problem(text) == (
        f"plant.yaml:{line}: enterprise.sites[0].lines[0].machines[1].name: name 'press1' is "
        "already used by enterprise.sites[0].lines[0].machines[0]; the tags and children of "
        "one line need different names"
    )


def test_duplicate_tag_names_on_one_asset_are_an_error() -> None:
    text = plant_text("enterprise: {name: acme, tags: [{name: t}, {name: t}]}")
    assert problem(text).startswith("plant.yaml:2: enterprise.tags[1].name: name 't' is already")


def test_a_tag_may_not_share_its_name_with_a_child_asset() -> None:
    text = plant_text("enterprise: {name: acme, tags: [{name: m1}], machines: [{name: m1}]}")
    assert "enterprise.machines[0].name: name 'm1' is already used by enterprise.tags[0]" in (
        problem(text)
    )


def test_a_machine_cannot_hold_lines() -> None:
    text = plant_text(
        """
        enterprise:
          name: acme
          machines:
            - name: press1
              lines:
                - name: line1
        """
    )
    assert problem(text) == (
        "plant.yaml:6: enterprise.machines[0].lines: a machine cannot hold lines: "
        "levels descend enterprise > site > area > line > cell > machine"
    )


def test_a_cell_cannot_hold_cells() -> None:
    text = plant_text("enterprise: {name: a, cells: [{name: c1, cells: [{name: c2}]}]}")
    assert "enterprise.cells[0].cells: a cell cannot hold cells" in problem(text)


def test_an_unknown_key_suggests_a_close_one() -> None:
    text = plant_text("enterprise: {name: acme, machine: []}")
    assert problem(text) == (
        "plant.yaml:2: enterprise.machine: unknown key 'machine'; did you mean 'machines'?"
    )


def test_a_missing_name_is_reported_on_the_entry() -> None:
    text = plant_text("enterprise:\n  name: acme\n  sites:\n    - description: x\n")
    assert problem(text) == "plant.yaml:5: enterprise.sites[0].name: required, but missing"


def test_a_wrong_tag_type_lists_the_allowed_ones() -> None:
    text = plant_text("enterprise: {name: acme, tags: [{name: x, type: double}]}")
    assert problem(text) == (
        "plant.yaml:2: enterprise.tags[0].type: "
        "input should be 'float', 'int', 'bool' or 'text', not 'double'"
    )


def test_a_bad_retention_duration_is_reported() -> None:
    text = plant_text("enterprise: {name: a}\nhistorian:\n  retention:\n    samples: 90x\n")
    assert problem(text).startswith(
        "plant.yaml:5: historian.retention.samples: '90x' is not a duration"
    )


def test_a_bad_calendar_is_reported_under_its_key() -> None:
    text = plant_text("enterprise: {name: a}\ncalendar:\n  timezone: Mars/Olympus\n")
    assert problem(text).startswith("plant.yaml:4: calendar.timezone: unknown time zone")


def test_unsupported_versions_are_named_with_the_supported_ones() -> None:
    text = "# plant\nversion: 2\nenterprise: {name: acme}\n"
    assert problem(text) == (
        "plant.yaml:2: version: version 2 is not supported (supported versions: 1)"
    )


def test_a_missing_version_is_an_error() -> None:
    assert problem("enterprise: {name: acme}\n") == (
        "plant.yaml:1: version: missing; add `version: 1` at the top (supported versions: 1)"
    )


def test_the_top_level_must_be_a_mapping() -> None:
    assert problem("- version: 1\n") == (
        "plant.yaml:1: the top level must be a mapping of keys, not a list"
    )


def test_an_empty_file_is_an_error() -> None:
    assert "the file is empty" in problem("# nothing here\n")


def test_a_yaml_syntax_error_names_its_line() -> None:
    text = plant_text(
        """
        enterprise:
          name: acme
          sites:
            - name: plant1
           - name: plant2
        """
    )
    line = line_with(text, "plant2")
    assert problem(text).startswith(f"plant.yaml:{line}: YAML syntax error: ")


def test_a_key_given_twice_is_an_error_not_silently_dropped() -> None:
    text = plant_text("enterprise:\n  name: acme\n  machines: []\n  machines: []\n")
    assert problem(text) == "plant.yaml:5: duplicate key 'machines' (first at line 4)"


def test_unquoted_times_and_words_stay_text() -> None:
    text = plant_text(
        """
        enterprise: {name: acme, tags: [{name: x, description: no}]}
        calendar:
          shifts: [{name: early, start: 06:00, end: 14:00}]
        """
    )
    plant = parse_plant(text)
    assert plant.calendar is not None
    assert plant.calendar.shifts[0].start == "06:00"
    assert plant.tag("acme/x").description == "no"


def test_every_problem_is_kept_and_the_message_counts_the_rest() -> None:
    text = plant_text("enterprise: {name: 'a b', tags: [{name: x, unit: furlong}]}")
    with pytest.raises(PlantFileError) as caught:
        parse_plant(text, source="plant.yaml")
    assert len(caught.value.problems) == 2
    assert str(caught.value).endswith("(and 1 more problem)")


def test_plant_file_errors_are_config_errors_on_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_plant(ONE_LINE_TWO_MACHINES.replace("UNIT", "furlong"), source="plant.yaml")
    assert caught.value.code == "config.plant"
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(PlantFileError, match=re.escape(f"{missing}: no such file")):
        load_plant(missing)


def test_load_plant_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text("version: 3\nenterprise: {name: acme}\n", encoding="utf-8")
    with pytest.raises(PlantFileError, match=re.escape(f"{path}:1: version: version 3")):
        load_plant(path)


def test_a_plant_can_be_built_from_a_validated_spec() -> None:
    spec = PlantSpec.model_validate({"version": 1, "enterprise": {"name": "acme"}})
    assert isinstance(Plant(spec), Plant)
    assert Plant(spec).source == "<string>"


def test_the_published_schema_file_is_up_to_date() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == plant_json_schema_text(), (
        "docs/plant-schema.json is stale; regenerate it with "
        "`python -m shopfloor.model.plant > docs/plant-schema.json`"
    )


def test_the_schema_names_itself_and_its_version() -> None:
    schema = plant_json_schema()
    assert schema["$id"] == "urn:shopfloor:plant-file:1"
    assert schema["properties"]["version"]["const"] == 1
    assert json.loads(plant_json_schema_text()) == schema


@given(st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=8))
def test_the_schema_name_pattern_agrees_with_check_segment(name: str) -> None:
    assert (re.search(NAME_PATTERN, name) is not None) == _accepts(name)


def _accepts(name: str) -> bool:
    """Whether check_segment takes ``name`` (helper: tests themselves do not branch)."""
    try:
        check_segment(name)
    except ValueError:
        return False
    return True
