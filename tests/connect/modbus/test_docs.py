"""docs/connectors-modbus.md: its example register map loads, checks and plans as it says."""

from __future__ import annotations

import re
from pathlib import Path

from shopfloor.connect.modbus.plan import plan_requests
from shopfloor.connect.modbus.registers import compile_map
from shopfloor.model.plant import parse_plant
from shopfloor.model.spec_modbus import ModbusConnectorSpec

DOC = Path(__file__).resolve().parents[3] / "docs" / "connectors-modbus.md"

PLANT_HEAD = """\
version: 1
enterprise:
  name: acme
  sites:
    - name: plant1
      areas:
        - name: body
          lines:
            - name: line2
              machines:
                - name: press3
"""


def test_the_configuration_example_plans_four_requests_for_seven_values() -> None:
    example = re.search(r"```yaml\n(connectors:.*?)```", DOC.read_text(), re.DOTALL)
    assert example is not None
    (spec,) = parse_plant(PLANT_HEAD + example.group(1)).connectors
    assert isinstance(spec, ModbusConnectorSpec)
    points = compile_map(spec).points
    requests = plan_requests([p.span for p in points], max_gap=spec.max_gap)
    assert len(points) == 7
    assert [(r.kind, r.address, r.end - 1) for r in requests] == [
        ("coil", 0, 0),
        ("discrete_input", 0, 0),
        ("input_register", 0, 2),
        ("holding_register", 10, 13),
    ]
