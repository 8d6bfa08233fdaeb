"""Sample quality after OPC UA status codes.

A status code is a 32-bit unsigned integer; its two top bits give the severity:
``00`` good, ``01`` uncertain, ``10``/``11`` bad (OPC UA Part 4, 7.39). shopfloor stores
the full code with every sample and derives the coarse :class:`Quality` from it, so a
reader can say *why* a value is bad (stale, communication failure, sensor fault) and not
only that it is.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt


class Quality(IntEnum):
    """Coarse quality of a sample, as the top bits of its OPC UA status code say."""

    GOOD = 0
    UNCERTAIN = 1
    BAD = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class StatusCode(IntEnum):
    """The OPC UA status codes shopfloor itself produces or maps (Part 4 / Part 6 values)."""

    GOOD = 0x00000000
    GOOD_LOCAL_OVERRIDE = 0x00960000
    UNCERTAIN = 0x40000000
    UNCERTAIN_LAST_USABLE_VALUE = 0x40900000
    UNCERTAIN_SENSOR_NOT_ACCURATE = 0x40930000
    UNCERTAIN_ENGINEERING_UNITS_EXCEEDED = 0x40940000
    UNCERTAIN_SUB_NORMAL = 0x40950000
    BAD = 0x80000000
    BAD_CONFIGURATION_ERROR = 0x80890000
    BAD_NOT_CONNECTED = 0x808A0000
    BAD_DEVICE_FAILURE = 0x808B0000
    BAD_SENSOR_FAILURE = 0x808C0000
    BAD_OUT_OF_SERVICE = 0x808D0000
    BAD_COMMUNICATION_ERROR = 0x80050000
    BAD_TIMEOUT = 0x800A0000
    BAD_NO_COMMUNICATION = 0x80310000
    BAD_WAITING_FOR_INITIAL_DATA = 0x80320000

    @property
    def quality(self) -> Quality:
        return quality_of(int(self))


def quality_of(status: int) -> Quality:
    """The coarse quality of one status code."""
    severity = (status >> 30) & 0b11
    return Quality.GOOD if severity == 0 else Quality.UNCERTAIN if severity == 1 else Quality.BAD


def qualities(status: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    """Vectorised :func:`quality_of`: 0 good, 1 uncertain, 2 bad."""
    severity = (status >> np.uint32(30)).astype(np.uint8)
    return np.minimum(severity, np.uint8(2))


_BY_LABEL = {q.label: q for q in Quality}


def parse_quality(text: str) -> Quality:
    """Parse ``good``, ``uncertain`` or ``bad`` (any case)."""
    try:
        return _BY_LABEL[text.strip().lower()]
    except KeyError:
        raise ValueError(f"quality must be good, uncertain or bad, not {text!r}") from None


_DEFAULT_STATUS = {
    Quality.GOOD: StatusCode.GOOD,
    Quality.UNCERTAIN: StatusCode.UNCERTAIN,
    Quality.BAD: StatusCode.BAD,
}


def default_status(quality: Quality) -> StatusCode:
    """The generic status code for a quality, used when only the quality is known."""
    return _DEFAULT_STATUS[quality]


def status_name(status: int) -> str:
    """A readable name for a status code: ``BadNotConnected`` or ``0x80AB0000``."""
    try:
        member = StatusCode(status)
    except ValueError:
        return f"0x{status:08X}"
    return "".join(part.capitalize() for part in member.name.split("_"))
