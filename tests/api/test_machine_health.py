"""GET /api/machines/{path}/health: the newest health estimate, warning and anomaly."""

from __future__ import annotations

from shopfloor.model.event import Event
from tests.api.conftest import Api

PRESS = "acme/stuttgart/fabrication/line1/press1"
WELD = "acme/stuttgart/fabrication/line1/weld1"


def store(api: Api, events: list[Event]) -> None:
    api.client.portal.call(api.ctx.historian.append_events, events)
    api.client.portal.call(api.ctx.historian.flush)


def estimate(api: Api, minutes_before_end: int, rul_h: float) -> Event:
    return Event.new(
        time_ns=api.end_ns - minutes_before_end * 60 * 10**9,
        asset=PRESS,
        kind="health",
        payload={"health": 0.4, "rul_h": rul_h, "lower_h": rul_h - 20, "upper_h": None},
        actor="rul",
    )


def test_the_newest_estimate_warning_and_anomaly_of_a_machine_are_served(api: Api) -> None:
    warning = Event.new(
        time_ns=api.end_ns - 30 * 60 * 10**9,
        asset=PRESS,
        kind="maintenance.warning",
        payload={"rul_h": 60.0, "lower_h": 40.0},
        actor="rul",
    )
    anomaly = Event.new(
        time_ns=api.end_ns - 50 * 60 * 10**9,
        asset=PRESS,
        kind="anomaly.start",
        payload={"score": 0.8, "tags": [{"tag": "vibration_rms", "share": 0.9}]},
        actor="detector:anomaly",
    )
    store(api, [estimate(api, 90, 80.0), estimate(api, 30, 61.5), warning, anomaly])
    response = api.client.get(f"/api/machines/{PRESS}/health", headers=api.headers("viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["machine"], body["health"], body["rul_h"]) == (PRESS, 0.4, 61.5)
    assert (body["lower_h"], body["upper_h"]) == (41.5, None)
    assert body["warning"]["payload"]["lower_h"] == 40.0
    assert body["anomaly"]["kind"] == "anomaly.start"


def test_a_machine_without_estimates_answers_with_nulls(api: Api) -> None:
    body = api.client.get(f"/api/machines/{WELD}/health", headers=api.headers("viewer")).json()
    assert body["health"] is None
    assert body["estimate"] is None
    assert body["warning"] is None


def test_anything_but_a_machine_is_404(api: Api) -> None:
    for path in ("acme/stuttgart/fabrication/line1", "acme/nowhere/press9"):
        response = api.client.get(f"/api/machines/{path}/health", headers=api.headers("viewer"))
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_stored_anomaly_events_come_back_through_the_events_route(api: Api) -> None:
    event = Event.new(
        time_ns=api.end_ns - 20 * 60 * 10**9,
        asset=WELD,
        kind="anomaly.update",
        payload={"score": 0.7, "alarm": True},
        actor="detector:anomaly",
    )
    store(api, [event])
    found = api.client.get(
        f"/api/events?kind=anomaly&asset={WELD}&start=-1h", headers=api.headers("viewer")
    ).json()
    assert [e["id"] for e in found] == [event.id]
