"""The payload codec: full decoding, the learned-layout fast path, and encoding."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopfloor.connect.sparkplug import wire
from shopfloor.connect.sparkplug._generated import sparkplug_b_pb2
from shopfloor.connect.sparkplug.codec import (
    DataType,
    OutMetric,
    Payload,
    PayloadError,
    decode,
    encode,
    integers_as_numbers,
)

RANGES = {
    DataType.INT8: (-(2**7), 2**7 - 1),
    DataType.INT16: (-(2**15), 2**15 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1),
    DataType.INT64: (-(2**63), 2**63 - 1),
    DataType.UINT8: (0, 2**8 - 1),
    DataType.UINT32: (0, 2**32 - 1),
    DataType.UINT64: (0, 2**64 - 1),
    DataType.DATETIME: (0, 2**45),
}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def metrics(draw: st.DrawFn, named: bool | None = None) -> OutMetric:
    datatype = draw(
        st.sampled_from(
            [*RANGES, DataType.FLOAT, DataType.DOUBLE, DataType.BOOLEAN, DataType.STRING]
        )
    )
    if datatype in RANGES:
        value: object = draw(st.integers(*RANGES[datatype]))
    elif datatype is DataType.BOOLEAN:
        value = draw(st.booleans())
    elif datatype is DataType.STRING:
        value = draw(st.text(max_size=12))
    else:
        width = 32 if datatype is DataType.FLOAT else 64
        value = draw(st.floats(width=width, allow_nan=False))
    return OutMetric(
        draw(st.none() | st.text(min_size=1, max_size=8)) if named is None else None,
        draw(st.none() | st.integers(0, 2**64 - 1)),
        datatype,
        draw(st.none() | st.just(value)),  # type: ignore[arg-type]
        draw(st.none() | st.integers(0, 2**50)),
    )


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    return encode(
        draw(st.lists(metrics(), min_size=1, max_size=20)),
        seq=draw(st.none() | st.integers(0, 255)),
        timestamp_ms=draw(st.none() | st.integers(0, 2**50)),
        with_datatype=draw(st.booleans()),
    )


def assert_same(fast: Payload | None, full: Payload) -> None:
    assert fast is not None
    assert (fast.seq, fast.timestamp_ms) == (full.seq, full.timestamp_ms)
    a, b = fast.metrics, full.metrics
    assert a.names == b.names
    for column in ("alias", "has_alias", "timestamp_ms", "datatype", "field", "is_null", "integer"):
        np.testing.assert_array_equal(getattr(a, column), getattr(b, column), column)
    np.testing.assert_array_equal(a.number, b.number)
    assert a.text == b.text


@SETTINGS
@given(payloads())
def test_a_learned_layout_decodes_its_payload_as_the_full_decoder_does(data: bytes) -> None:
    layout = wire.learn(data)
    assert layout is not None
    assert_same(layout.decode(data), decode(data))


@SETTINGS
@given(payloads(), st.data())
def test_a_layout_reads_same_sized_payloads_exactly_or_not_at_all(
    data: bytes, draw: st.DataObject
) -> None:
    layout = wire.learn(data)
    assert layout is not None
    other = bytearray(data)
    for i in draw.draw(st.lists(st.integers(0, len(data) - 1), max_size=6)):
        other[i] = draw.draw(st.integers(0, 255))
    fast = layout.decode(bytes(other))
    if fast is not None:  # same structure: then it must read what the full decoder reads
        assert_same(fast, decode(bytes(other)))


def test_a_data_payload_of_the_same_shape_takes_the_fast_path_with_new_values() -> None:
    scan = [OutMetric(None, i, DataType.DOUBLE, float(i), 1_700_000_000_000) for i in range(100)]
    layout = wire.learn(encode(scan, seq=1, with_datatype=False))
    assert layout is not None
    nxt = [OutMetric(None, i, DataType.DOUBLE, i * 2.5, 1_700_000_000_100) for i in range(100)]
    fast = layout.decode(encode(nxt, seq=2, with_datatype=False))
    assert fast is not None
    assert fast.seq == 2
    assert fast.metrics.number.tolist() == [i * 2.5 for i in range(100)]
    assert set(fast.metrics.timestamp_ms.tolist()) == {1_700_000_000_100}


def test_a_payload_of_another_shape_is_not_read_by_the_layout() -> None:
    layout = wire.learn(encode([OutMetric(None, 1, DataType.DOUBLE, 1.0)]))
    assert layout is not None
    assert layout.decode(encode([OutMetric(None, 2, DataType.DOUBLE, 1.0)])) is None
    assert layout.decode(encode([OutMetric(None, 1, DataType.INT64, 100)])) is None


def test_payloads_with_properties_or_datasets_get_no_layout_but_decode_in_full() -> None:
    message = sparkplug_b_pb2.Payload()
    metric = message.metrics.add()
    metric.alias = 1
    metric.double_value = 2.0
    metric.properties.keys.append("Quality")
    data = message.SerializeToString()
    assert wire.learn(data) is None
    assert decode(data).metrics.number.tolist() == [2.0]


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (DataType.INT8, -5),
        (DataType.INT16, -300),
        (DataType.INT32, -(2**31)),
        (DataType.INT64, -(2**40)),
        (DataType.UINT32, 2**32 - 1),
        (DataType.UINT64, 2**53),
    ],
)
def test_integers_read_back_by_their_datatype(datatype: DataType, value: int) -> None:
    m = decode(encode([OutMetric("x", 1, datatype, value)])).metrics
    assert integers_as_numbers(m.integer, m.datatype).tolist() == [float(value)]


def test_narrow_twos_complement_reads_back_too() -> None:
    # Some edge nodes put an Int8 of -5 as 251 (8-bit two's complement), not as 2**32 - 5.
    m = decode(encode([OutMetric("x", 1, DataType.UINT8, 251)])).metrics
    assert integers_as_numbers(m.integer, np.array([DataType.INT8], np.uint8)).tolist() == [-5.0]


def test_render_writes_new_values_into_a_template_in_place() -> None:
    template = encode(
        [OutMetric(None, i, DataType.DOUBLE, 0.0, 1_700_000_000_000) for i in range(1, 11)],
        seq=255,  # a two-byte seq: every seq fits (shorter ones padded)
        timestamp_ms=1_700_000_000_000,
        with_datatype=False,
    )
    layout = wire.learn(template)
    assert layout is not None
    values = np.linspace(0, 1, 10)
    data = layout.render(template, seq=7, metric_ms=1_700_000_000_042, numbers=values)
    full = decode(data)
    assert full.seq == 7
    assert full.metrics.number.tolist() == values.tolist()
    assert set(full.metrics.timestamp_ms.tolist()) == {1_700_000_000_042}
    assert layout.decode(data) is not None
    with pytest.raises(ValueError, match="does not fit"):
        layout.render(template, metric_ms=2**60)


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_payload_error(data: bytes) -> None:
    with contextlib.suppress(PayloadError):
        decode(data)


def test_the_datatype_enum_matches_the_published_schema() -> None:
    assert {d.name: d.value for d in DataType} == {
        name.upper(): value for name, value in sparkplug_b_pb2.DataType.items() if value < 20
    }
