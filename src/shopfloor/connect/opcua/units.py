"""Engineering units in OPC UA terms: ``EUInformation`` with UNECE Recommendation 20 codes.

OPC UA Part 8 (5.6.3) names a variable's unit by a UNECE common code packed into an integer
``UnitId`` (each character's ASCII value, shifted in from the left) in the namespace
:data:`UNECE_URI`. shopfloor's canonical unit spellings (:mod:`shopfloor.model.units`) map to
the codes below; a unit without a code here still gets an ``EUInformation`` with its spelling
as display name and ``UnitId`` -1, which the specification allows for "no code".

>>> info = eu_information("degC")
>>> info.UnitId, info.DisplayName.Text
(4408652, 'degC')
>>> eu_information("1") is None
True
"""

from __future__ import annotations

from asyncua import ua

from shopfloor.model.units import DIMENSIONLESS

UNECE_URI = "http://www.opcfoundation.org/UA/units/un/cefact"

UNECE_CODES = {
    "degC": "CEL",
    "K": "KEL",
    "A": "AMP",
    "mA": "4K",
    "V": "VLT",
    "W": "WTT",
    "kW": "KWT",
    "Wh": "WHR",
    "kWh": "KWH",
    "J": "JOU",
    "kJ": "KJO",
    "MJ": "3B",
    "Pa": "PAL",
    "kPa": "KPA",
    "MPa": "MPA",
    "bar": "BAR",
    "mbar": "MBR",
    "Hz": "HTZ",
    "s": "SEC",
    "min": "MIN",
    "h": "HUR",
    "d": "DAY",
    "m": "MTR",
    "mm": "MMT",
    "um": "4H",
    "m/s": "MTS",
    "m/min": "2X",
    "mm/s": "C16",
    "m/s^2": "MSK",
    "N": "NEW",
    "kN": "B47",
    "N*m": "NU",
    "g": "GRM",
    "kg": "KGM",
    "t": "TNE",
    "kg/h": "E93",
    "l": "LTR",
    "l/min": "L2",
    "l/h": "E32",
    "m^3": "MTQ",
    "m^3/h": "MQH",
    "%": "P1",
    "ppm": "59",
    "rpm": "RPM",
    "kVA": "KVA",
    "ohm": "OHM",
    "deg": "DD",
    "rad": "C81",
    "lx": "LUX",
}
"""UNECE common codes of the canonical units plants use most."""


def unit_id(code: str) -> int:
    """The OPC UA ``UnitId`` of a UNECE common code (Part 8, 5.6.3)."""
    value = 0
    for char in code:
        value = (value << 8) | ord(char)
    return value


def eu_information(unit: str) -> ua.EUInformation | None:
    """The ``EngineeringUnits`` of a canonical unit; None for dimensionless numbers."""
    if unit == DIMENSIONLESS:
        return None
    code = UNECE_CODES.get(unit)
    return ua.EUInformation(
        NamespaceUri=UNECE_URI,
        UnitId=unit_id(code) if code is not None else -1,
        DisplayName=ua.LocalizedText(unit),
        Description=ua.LocalizedText(unit),
    )
