"""Machine kinds of the twin: default behaviour and the signals each kind emits.

A kind bundles what a plant engineer would expect of that machine: its cycle time and
setup, the power it draws per state, which component wears out and how fast, its typical
faults, its tool, and its sensors. Sensor values follow simple physics: a value per state
(running, waiting, stopped), a rise with wear (``wear_gain`` times wear to the power
``wear_power``, wear going from 0 when new to 1 at failure), Gaussian noise, and, for
temperatures, a first-order thermal lag with time constant ``tau``.

Vibration levels follow ISO 10816 zones for medium machines: about 1-2.5 mm/s when healthy,
rising past 4.5 (alarm) towards 7-11 mm/s (damage) as a bearing or pump wears out.
"""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.model.sim_spec import FaultSpec, MachineSimSpec, PowerSpec, ToolSpec, WearSpec


@dataclass(frozen=True)
class SignalModel:
    """One analog sensor of a machine kind."""

    name: str
    unit: str
    low: float
    high: float
    running: float
    waiting: float
    stopped: float
    noise: float
    wear_gain: float = 0.0
    wear_power: float = 2.0
    tau: float = 0.0
    description: str = ""


def _vibration(base: float, gain: float = 3.0) -> SignalModel:
    return SignalModel(
        "vibration_rms",
        "mm/s",
        0,
        30,
        base,
        0.25 * base,
        0.05,
        0.04 * base,
        gain,
        2.5,
        description="Vibration velocity RMS at the main bearing (ISO 10816).",
    )


def _temperature(
    name: str, run_rise: float, wait_rise: float, wear_rise: float, tau: float, description: str
) -> SignalModel:
    # Temperatures are stored as rises over ambient here; the synthesiser adds ambient.
    return SignalModel(
        name,
        "degC",
        -20,
        250,
        run_rise,
        wait_rise,
        0.0,
        0.15,
        wear_rise / max(run_rise, 1e-9),
        2.0,
        tau,
        description,
    )


def _current(running: float, waiting: float) -> SignalModel:
    return SignalModel(
        "motor_current",
        "A",
        0,
        4 * running,
        running,
        waiting,
        0.0,
        0.02 * running,
        0.12,
        2.0,
        description="Main drive motor current.",
    )


@dataclass(frozen=True)
class Kind:
    """Defaults and sensors of one machine kind."""

    name: str
    label: str
    defaults: MachineSimSpec
    signals: tuple[SignalModel, ...]


def _h(hours: float) -> float:
    return hours * 3600.0


def _m(minutes: float) -> float:
    return minutes * 60.0


KINDS: dict[str, Kind] = {}


def _register(kind: Kind) -> None:
    KINDS[kind.name] = kind


_register(
    Kind(
        "stamping_press",
        "stamping press",
        MachineSimSpec(
            cycle_time=20,
            cycle_cv=0.02,
            speed_loss=0.03,
            setup_time=_m(6),
            scrap=0.004,
            power=PowerSpec(running=32, idle=7, setup=3, stopped=0.6),
            wear=WearSpec(mean_life=_h(260), repair=_h(3), cause="hydraulic_pump"),
            faults=FaultSpec(mtbf=_h(7), mttr=_m(6), causes=["misfeed", "jam", "sensor_fault"]),
            tool=ToolSpec(life_parts=3000, change_time=_m(15), scrap_new=0.003, scrap_worn=0.05),
        ),
        (
            _vibration(2.0),
            _temperature("temperature", 24, 8, 16, 1500, "Hydraulic oil temperature."),
            _current(55, 9),
            SignalModel(
                "hydraulic_pressure",
                "bar",
                0,
                300,
                185,
                45,
                0,
                2.5,
                -0.22,
                2.0,
                description="Main hydraulic pressure; falls as the pump wears.",
            ),
        ),
    )
)
_register(
    Kind(
        "cnc_mill",
        "CNC machining centre",
        MachineSimSpec(
            cycle_time=41,
            cycle_cv=0.03,
            speed_loss=0.04,
            setup_time=_m(12),
            scrap=0.003,
            power=PowerSpec(running=18, idle=4.5, setup=2.5, stopped=0.4),
            wear=WearSpec(mean_life=_h(300), repair=_h(4), cause="spindle_bearing"),
            faults=FaultSpec(
                mtbf=_h(9), mttr=_m(8), causes=["chip_jam", "coolant_low", "tool_breakage"]
            ),
            tool=ToolSpec(life_parts=700, change_time=_m(4), scrap_new=0.004, scrap_worn=0.09),
        ),
        (
            _vibration(1.4, 3.5),
            _temperature("temperature", 18, 5, 22, 900, "Spindle bearing temperature."),
            _current(28, 5),
            SignalModel(
                "spindle_speed", "rpm", 0, 15000, 9000, 0, 0, 20, description="Spindle speed."
            ),
            SignalModel("coolant_flow", "l/min", 0, 60, 24, 2, 0, 0.6, description="Coolant flow."),
        ),
    )
)
_register(
    Kind(
        "welding_robot",
        "welding robot",
        MachineSimSpec(
            cycle_time=20.5,
            cycle_cv=0.02,
            speed_loss=0.03,
            setup_time=_m(6),
            scrap=0.006,
            power=PowerSpec(running=14, idle=2.2, setup=1.5, stopped=0.3),
            wear=WearSpec(mean_life=_h(380), repair=_h(2), cause="wire_feeder_gearbox"),
            faults=FaultSpec(
                mtbf=_h(5), mttr=_m(5), causes=["wire_stuck", "arc_fault", "collision"]
            ),
            tool=ToolSpec(life_parts=1500, change_time=_m(3), scrap_new=0.004, scrap_worn=0.06),
        ),
        (
            _vibration(0.9),
            _temperature("temperature", 14, 3, 12, 600, "Torch cooling water temperature."),
            _current(9, 2.5),
            SignalModel("weld_current", "A", 0, 400, 210, 0, 0, 6, description="Arc current."),
        ),
    )
)
_register(
    Kind(
        "washer",
        "parts washer",
        MachineSimSpec(
            cycle_time=18,
            cycle_cv=0.01,
            speed_loss=0.02,
            setup_time=_m(3),
            scrap=0.001,
            power=PowerSpec(running=22, idle=15, setup=10, stopped=1.0),
            wear=WearSpec(mean_life=_h(520), repair=_h(2.5), cause="pump_seal"),
            faults=FaultSpec(mtbf=_h(14), mttr=_m(7), causes=["nozzle_clog", "level_low"]),
        ),
        (
            _vibration(1.6),
            _temperature("temperature", 38, 35, 6, 2400, "Wash bath temperature."),
            _current(18, 12),
            SignalModel(
                "flow",
                "l/min",
                0,
                300,
                160,
                150,
                0,
                3,
                -0.25,
                2.0,
                description="Wash pump flow; falls as the seal wears.",
            ),
        ),
    )
)
_register(
    Kind(
        "paint_booth",
        "paint booth",
        MachineSimSpec(
            cycle_time=22,
            cycle_cv=0.015,
            speed_loss=0.03,
            setup_time=_m(10),
            scrap=0.012,
            power=PowerSpec(running=40, idle=28, setup=20, stopped=2.0),
            wear=WearSpec(mean_life=_h(450), repair=_h(3), cause="exhaust_fan_bearing"),
            faults=FaultSpec(mtbf=_h(8), mttr=_m(9), causes=["nozzle_clog", "paint_pressure_low"]),
        ),
        (
            _vibration(2.2, 3.0),
            _temperature("temperature", 2, 1.5, 3, 1800, "Booth air temperature."),
            _current(35, 30),
            SignalModel(
                "air_flow",
                "m**3/h",
                0,
                40000,
                24000,
                22000,
                0,
                300,
                -0.15,
                2.0,
                description="Booth exhaust air flow.",
            ),
            SignalModel(
                "humidity",
                "percent",
                0,
                100,
                55,
                55,
                50,
                1.2,
                description="Booth relative humidity.",
            ),
        ),
    )
)
_register(
    Kind(
        "curing_oven",
        "curing oven",
        MachineSimSpec(
            cycle_time=20,
            cycle_cv=0.005,
            speed_loss=0.01,
            setup_time=_m(5),
            scrap=0.002,
            power=PowerSpec(running=60, idle=45, setup=40, stopped=3.0),
            wear=WearSpec(mean_life=_h(600), repair=_h(4), cause="circulation_fan_bearing"),
            faults=FaultSpec(mtbf=_h(20), mttr=_m(10), causes=["burner_trip", "conveyor_jam"]),
        ),
        (
            _vibration(1.8, 2.5),
            _temperature("temperature", 158, 150, 6, 2700, "Oven air temperature."),
            _current(22, 20),
        ),
    )
)
_register(
    Kind(
        "assembly_station",
        "assembly station",
        MachineSimSpec(
            cycle_time=21,
            cycle_cv=0.04,
            speed_loss=0.05,
            setup_time=_m(6),
            scrap=0.004,
            power=PowerSpec(running=6, idle=1.5, setup=1.0, stopped=0.2),
            wear=WearSpec(mean_life=_h(340), repair=_h(1.5), cause="nutrunner_gearbox"),
            faults=FaultSpec(
                mtbf=_h(4), mttr=_m(4), causes=["missing_part", "screw_jam", "vision_reject"]
            ),
        ),
        (
            _vibration(0.8),
            _temperature("temperature", 12, 3, 14, 700, "Nutrunner motor temperature."),
            _current(6, 1.5),
            SignalModel(
                "torque",
                "N*m",
                0,
                40,
                12,
                0,
                0,
                0.25,
                -0.08,
                2.0,
                description="Final fastening torque.",
            ),
        ),
    )
)
_register(
    Kind(
        "test_bench",
        "end-of-line test bench",
        MachineSimSpec(
            cycle_time=19,
            cycle_cv=0.02,
            speed_loss=0.02,
            setup_time=_m(4),
            scrap=0.008,
            power=PowerSpec(running=5, idle=2, setup=1.5, stopped=0.2),
            wear=WearSpec(mean_life=_h(600), repair=_h(2), cause="vacuum_pump"),
            faults=FaultSpec(
                mtbf=_h(12), mttr=_m(5), causes=["fixture_fault", "calibration_drift"]
            ),
        ),
        (
            _vibration(1.1),
            _temperature("temperature", 16, 6, 12, 900, "Vacuum pump temperature."),
            _current(7, 2),
            SignalModel(
                "test_pressure",
                "bar",
                0,
                12,
                6.0,
                0,
                0,
                0.03,
                -0.05,
                2.0,
                description="Leak-test pressure.",
            ),
        ),
    )
)


def kind_of(name: str) -> Kind:
    """The kind called ``name``; ``ValueError`` lists the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(
            f"unknown machine kind {name!r}; known: {', '.join(sorted(KINDS))}"
        ) from None


def resolve(kind: Kind, spec: MachineSimSpec | None) -> MachineSimSpec:
    """The kind's defaults overridden by whatever ``spec`` sets."""
    if spec is None:
        return kind.defaults
    # Take the set fields as objects (not dumped dicts) so nested specs stay models.
    overrides = {name: getattr(spec, name) for name in spec.model_fields_set - {"kind"}}
    return kind.defaults.model_copy(update=overrides)
