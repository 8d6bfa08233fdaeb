"""``shopfloor plant``: check a plant file and print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.tree import Tree

from shopfloor.cli.app import app, console
from shopfloor.model.assets import Asset
from shopfloor.model.plant import load_plant, plant_json_schema

plant_app = typer.Typer(help="Check plant files and print their schema.", no_args_is_help=True)
app.add_typer(plant_app, name="plant")


@plant_app.command("check")
def check(file: Path = typer.Argument(..., help="The plant file (YAML) to validate.")) -> None:
    """Validate a plant file and print its asset tree with tag counts."""
    plant = load_plant(file)
    root = plant.root
    tree = Tree(f"[bold]{root.name}[/] ({root.level})")
    _grow(tree, root)
    console.print(tree)
    tags = sum(1 for _ in plant.tags())
    console.print(f"{file}: valid, {len(list(plant.assets()))} assets, {tags} tags")


def _grow(branch: Tree, asset: Asset) -> None:
    for child in asset.children:
        label = f"{child.name} ({child.level})"
        if child.tags:
            label += f" [dim]{len(child.tags)} tags[/]"
        _grow(branch.add(label), child)


@plant_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the plant file."""
    console.print_json(json.dumps(plant_json_schema()))
