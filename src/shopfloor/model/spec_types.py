"""Value types shared by the plant file's sections: names and durations."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from shopfloor.model.durations import DURATION_PATTERN, parse_duration
from shopfloor.model.namespace import check_segment

# The same rule as namespace.check_segment, written out for editors that read the schema.
_NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"

Name = Annotated[
    str,
    AfterValidator(check_segment),
    WithJsonSchema({"type": "string", "pattern": _NAME_PATTERN}),
]


def _duration_seconds(value: object) -> object:
    # Only text and numbers are durations; anything else falls through to the float check,
    # which then reports the wrong type.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return parse_duration(value)
    return value


Duration = Annotated[
    float,
    BeforeValidator(_duration_seconds),
    Field(gt=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": "seconds, or a number with a unit: 90s, 30m, 8h, 7d, 1.5h, 1h30m",
        }
    ),
]


NonNegativeDuration = Annotated[
    float,
    BeforeValidator(_duration_seconds),
    Field(ge=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": "seconds, or a number with a unit: 20s, 5m, 2h; 0 allowed",
        }
    ),
]
