"""What the API answers, with a logged-in user."""

from __future__ import annotations

import time

from shopfloor.model.batch import SampleBatch
from tests.api.conftest import PASSWORD, Api

LINE = "acme/stuttgart/fabrication/line1"


def get(api: Api, path: str, role: str = "viewer") -> object:
    response = api.client.get(path, headers=api.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def test_login_returns_a_token_and_sets_an_httponly_strict_cookie(api: Api) -> None:
    response = api.client.post("/api/login", json={"username": "viewer1", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    me = api.client.get(
        "/api/me", headers={"Cookie": f"shopfloor_session={response.json()['token']}"}
    )
    assert me.json()["user"] == "viewer1"
    api.client.cookies.clear()  # later tests must not ride on this session


def test_a_wrong_password_is_401_as_json(api: Api) -> None:
    response = api.client.post("/api/login", json={"username": "viewer1", "password": "nope"})
    assert response.status_code == 401
    assert set(response.json()) == {"error", "message"}


def test_the_asset_tree_holds_the_twin_machines_and_their_tags(api: Api) -> None:
    tree = get(api, "/api/assets")
    line = tree["children"][0]["children"][0]["children"][0]  # type: ignore[index]
    assert line["path"] == LINE
    press = line["children"][0]
    assert press["name"] == "press1"
    assert {"temperature", "vibration_rms", "state"} <= {t["name"] for t in press["tags"]}


def test_history_downsamples_into_buckets(api: Api) -> None:
    body = get(api, f"/api/history?path={LINE}/press1/power&start=-2h&every=10m")
    [series] = body["series"]  # type: ignore[index]
    assert len(series["ts"]) == 12
    assert all(v is None or v >= 0 for v in series["value"])


def test_raw_history_of_one_tag_pages_through_a_long_range(api: Api) -> None:
    path = f"{LINE}/press1/power"
    first = get(api, f"/api/history?path={path}&start=-2h&limit=1000")
    assert len(first["series"][0]["ts"]) == 1000  # type: ignore[index]
    after = first["next_start"]  # type: ignore[index]
    second = get(api, f"/api/history?path={path}&start={after}&end=now&limit=1000")
    last = first["series"][0]["ts"][-1]  # type: ignore[index]
    assert second["series"][0]["ts"][0] > last  # type: ignore[index]


def test_too_many_raw_samples_for_a_pattern_is_a_clear_400(api: Api) -> None:
    response = api.client.get(
        f"/api/history?path={LINE}/%23&start=-3h&limit=100", headers=api.headers("viewer")
    )
    assert response.status_code == 400
    assert "give every= to downsample" in response.json()["message"]


def test_bad_input_says_what_is_wrong(api: Api) -> None:
    bad_time = api.client.get(
        "/api/history?path=a/b&start=yesterday", headers=api.headers("viewer")
    )
    too_fine = api.client.get(
        "/api/history?path=a/b&start=-3h&every=1s", headers=api.headers("viewer")
    )
    assert bad_time.status_code == 400
    assert "start 'yesterday' is not a time" in bad_time.json()["message"]
    assert too_fine.status_code == 400
    assert "buckets" in too_fine.json()["message"]


def test_oee_by_machine_covers_every_machine(api: Api) -> None:
    records = get(api, "/api/oee?start=-2h&by=machine")
    assert len(records) == 9  # type: ignore[arg-type]
    assert all(0 <= r["oee"] <= 1 for r in records)  # type: ignore[union-attr, index]


def test_acknowledging_publishes_who_and_when_for_the_history(api: Api) -> None:
    waiting = [a for a in get(api, "/api/alarms") if a["state"].startswith("unacknowledged")]  # type: ignore[union-attr, index]
    alarm = waiting[0]
    events = api.ctx.bus.subscribe("#")
    response = api.client.post(
        f"/api/alarms/{alarm['id']}/ack",
        json={"comment": "checked the bearing"},
        headers=api.headers("operator"),
    )
    assert response.status_code == 200, response.text
    assert not response.json()["state"].startswith("unacknowledged")
    published = []
    deadline = time.monotonic() + 5
    while len(published) < 2 and time.monotonic() < deadline:
        message = events.get_nowait()
        if isinstance(message, tuple):
            published.extend(message)
        elif message is None:
            time.sleep(0.01)
    events.close()
    kinds = {e.kind: e for e in published}
    assert kinds["alarm.acknowledged"].actor == "user:operator1"
    assert kinds["alarm.acknowledged"].payload["comment"] == "checked the bearing"
    assert kinds["audit.alarm_acknowledged"].actor == "user:operator1"


def test_acknowledging_an_alarm_in_normal_state_is_a_conflict(api: Api) -> None:
    normal = [a for a in get(api, "/api/alarms/all") if a["state"] == "normal"]  # type: ignore[union-attr, index]
    response = api.client.post(
        f"/api/alarms/{normal[0]['id']}/ack", json={}, headers=api.headers("operator")
    )
    assert response.status_code == 409
    assert response.json()["error"].startswith("alarm")


def test_an_unknown_alarm_is_404(api: Api) -> None:
    response = api.client.post(
        "/api/alarms/no/such:h/ack", json={}, headers=api.headers("operator")
    )
    assert response.status_code == 404


def test_the_live_stream_delivers_samples_published_on_the_bus(api: Api) -> None:
    token = api.tokens["viewer"]
    with api.client.websocket_connect(f"/api/live?patterns={LINE}/press1/%23&token={token}") as ws:
        batch = SampleBatch.of(f"{LINE}/press1/temperature", [time.time_ns()], [42.5])
        api.client.portal.call(api.ctx.bus.publish, batch)  # type: ignore[union-attr]
        message = ws.receive_json()
    assert message["type"] == "samples"
    assert message["paths"] == [f"{LINE}/press1/temperature"]
    assert message["value"] == [42.5]


def test_the_live_stream_refuses_a_caller_without_a_session(api: Api) -> None:
    from starlette.websockets import WebSocketDisconnect

    api.client.cookies.clear()
    try:
        with api.client.websocket_connect("/api/live?patterns=%23") as ws:
            ws.receive_text()
        code = 0
    except WebSocketDisconnect as exc:
        code = exc.code
    assert code == 4401
