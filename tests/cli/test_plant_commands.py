from __future__ import annotations

import json
from importlib import resources
from pathlib import Path


def test_plant_check_prints_the_tree_of_a_valid_file(cli) -> None:  # type: ignore[no-untyped-def]
    path = resources.files("shopfloor") / "data" / "plants" / "default.yaml"
    result = cli("plant", "check", str(path))
    assert result.code == 0
    assert "press1 (machine)" in result.out
    assert "valid, 13 assets" in result.out


def test_a_bad_plant_file_is_one_line_with_exit_code_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.yaml").write_text(
        "version: 1\nenterprise:\n  name: acme\n  sites:\n    - nme: x\n"
    )
    result = cli("plant", "check", "bad.yaml")
    assert result.code == 2
    assert result.err.startswith("error: bad.yaml:5: enterprise.sites[0]")
    assert result.err.count("\n") == 1


def test_plant_schema_prints_the_published_json_schema(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("plant", "schema")
    schema = json.loads(result.out)
    published = json.loads(Path(__file__).parents[2].joinpath("docs/plant-schema.json").read_text())
    assert schema == published
