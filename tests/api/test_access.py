"""The role matrix, route by route: who may call what."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES, Api

RANK = {None: -1, "viewer": 0, "operator": 1, "engineer": 2, "admin": 3}
ALARM = "acme/stuttgart/fabrication/line1/press1/vibration_rms:h"
MACHINE = "acme/stuttgart/fabrication/line1/press1"

# (method, path, JSON body, least role that may call it; None = public)
ROUTES = [
    ("GET", "/api/health", None, None),
    ("GET", "/openapi.json", None, None),
    ("GET", "/docs", None, None),
    ("GET", "/api/me", None, "viewer"),
    ("GET", "/api/assets", None, "viewer"),
    ("GET", "/api/tags?pattern=%23", None, "viewer"),
    ("GET", "/api/latest?pattern=acme/%23", None, "viewer"),
    (
        "GET",
        "/api/history?path=acme/stuttgart/fabrication/line1/press1/power&start=-1h",
        None,
        "viewer",
    ),
    ("GET", "/api/events?start=-4h", None, "viewer"),
    ("GET", "/api/states", None, "viewer"),
    ("GET", "/api/oee?start=-2h", None, "viewer"),
    ("GET", "/api/alarms", None, "viewer"),
    ("GET", "/api/alarms/all", None, "viewer"),
    ("GET", "/api/alarms/history?start=-4h", None, "viewer"),
    ("GET", "/api/alarms/flood?start=-4h", None, "viewer"),
    ("GET", "/api/alarms/config", None, "viewer"),
    ("GET", f"/api/machines/{MACHINE}/health", None, "viewer"),
    ("POST", f"/api/alarms/{ALARM}/ack", {"comment": "seen"}, "operator"),
    ("POST", f"/api/alarms/{ALARM}/shelve", {"duration": "10m"}, "operator"),
    ("POST", f"/api/alarms/{ALARM}/unshelve", {}, "operator"),
    ("PUT", "/api/alarms/config", {"limits": "not a list"}, "engineer"),
    ("GET", "/api/events?kind=audit", None, "admin"),
    ("GET", "/api/users", None, "admin"),
    ("POST", "/api/users", {"name": "x", "password": "p"}, "admin"),
    ("PATCH", "/api/users/nobody", {}, "admin"),
    ("DELETE", "/api/users/nobody", None, "admin"),
]


def call(api: Api, method: str, path: str, body: object, role: str | None) -> int:
    response = api.client.request(method, path, json=body, headers=api.headers(role))
    return response.status_code


@pytest.mark.parametrize(("method", "path", "body", "least"), ROUTES)
@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_route_admits_exactly_the_roles_it_should(
    api: Api, method: str, path: str, body: object, least: str | None, role: str | None
) -> None:
    status = call(api, method, path, body, role)
    expected_denial = 401 if role is None else 403
    if RANK[role] >= RANK[least]:
        assert status not in (401, 403), f"{role} was refused {method} {path}: {status}"
    else:
        assert status == expected_denial, f"{role} got {status} for {method} {path}"


def test_every_api_route_is_in_the_matrix(api: Api) -> None:
    listed = {(m, p.split("?")[0]) for m, p, _, _ in ROUTES}
    schema = api.client.get("/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method in methods:
            concrete = path.replace("{alarm_id}", ALARM).replace("{name}", "nobody")
            concrete = concrete.replace("{path}", MACHINE)
            if concrete.endswith(("/login", "/logout", "/me/password")):
                continue
            assert (method.upper(), concrete) in listed, f"{method.upper()} {path} untested"
