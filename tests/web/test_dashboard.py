"""The dashboard in Debian's Chromium against a running ``shopfloor demo`` at 60 x real time."""

from __future__ import annotations

import re
import time
import urllib.request
import uuid
from importlib import resources

import pytest
from playwright.sync_api import expect

from shopfloor.web.pages import plotly_url
from tests.web.conftest import OPERATOR, Watched
from tests.web.harness import LINE, DemoServer, http_status

MACHINE = f"{LINE}/cnc1"
PAGES = [
    ("/", "#main .tile"),
    (f"/machine/{MACHINE}", "#chart .main-svg"),
    ("/oee", "#oee-table"),
    ("/alarms", "#alarm-history, #active-alarms"),
    ("/password", "#password-form"),
]
ALARM_WAIT_MS = 90_000


def same_origin(demo: DemoServer, urls: list[str]) -> list[str]:
    """The URLs among ``urls`` that leave the demo's own server."""
    return [url for url in urls if not url.startswith((demo.url + "/", "data:"))]


@pytest.mark.parametrize("path", ["/", "/oee", "/alarms", f"/machine/{MACHINE}", "/password"])
def test_without_a_session_each_page_leads_to_the_login_page(
    anonymous: Watched, demo: DemoServer, path: str
) -> None:
    anonymous.page.goto(demo.url + path)
    expect(anonymous.page).to_have_url(re.compile(r"/login\?next="))
    expect(anonymous.page.locator("#login-form")).to_be_visible()
    assert anonymous.errors == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/static/login.js", 200),
        ("/static/style.css", 200),
        ("/static/favicon.svg", 200),
        ("/static/app.js", 401),
        ("/static/overview.js", 401),
        (plotly_url(), 401),
        ("/api/states", 401),
        ("/static/..%2Fpages.py", 404),
    ],
)
def test_only_the_login_page_and_its_own_files_are_public(
    demo: DemoServer, path: str, status: int
) -> None:
    assert http_status(demo.url + path) == status


def test_plotly_is_the_file_the_installed_plotly_package_ships(demo: DemoServer) -> None:
    shipped = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    request = urllib.request.Request(
        demo.url + plotly_url(), headers={"Authorization": f"Bearer {demo.admin_token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.read() == shipped


def test_a_new_user_logs_in_and_must_choose_a_password_before_anything_else(
    anonymous: Watched, demo: DemoServer
) -> None:
    demo.add_user("nadia", "viewer", "nadia first password")
    page = anonymous.page
    page.goto(demo.url + "/alarms")
    page.fill("#username", "nadia")
    page.fill("#password", "nadia first password")
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(demo.url + "/password")
    page.goto(demo.url + "/oee")
    expect(page).to_have_url(demo.url + "/password")
    page.fill("#current", "nadia first password")
    page.fill("#new", "nadia chose this herself")
    page.fill("#repeat", "nadia chose this herself")
    page.click("#password-form button[type=submit]")
    expect(page).to_have_url(demo.url + "/")
    expect(page.locator("#who")).to_have_text("nadia · viewer")
    expect(page.locator(".tile").first).to_be_visible()
    assert anonymous.errors == []


def test_logging_out_ends_the_session(operator: Watched, demo: DemoServer) -> None:
    page = operator.page
    page.goto(demo.url + "/")
    expect(page.locator(".tile").first).to_be_visible()
    page.click("#logout")
    expect(page).to_have_url(demo.url + "/login")
    page.goto(demo.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert operator.errors == []


@pytest.mark.parametrize(("path", "ready"), PAGES)
def test_each_page_loads_everything_from_this_server_without_console_errors(
    operator: Watched, demo: DemoServer, path: str, ready: str
) -> None:
    operator.page.goto(demo.url + path)
    expect(operator.page.locator(ready).first).to_be_visible(timeout=30_000)
    operator.page.wait_for_timeout(3_000)  # live messages and a poll or two arrive meanwhile
    assert operator.errors == []
    assert same_origin(demo, operator.requests) == []


def test_live_values_change_on_the_overview(operator: Watched, demo: DemoServer) -> None:
    page = operator.page
    page.goto(demo.url + "/")
    temperatures = page.locator(".tile [data-tag=temperature]")
    expect(temperatures.first).to_have_text(re.compile(r"\d"))
    before = temperatures.all_inner_texts()
    page.wait_for_timeout(3_000)
    after = temperatures.all_inner_texts()
    assert len(after) == 9
    assert before != after
    expect(page.locator("#live-status")).to_have_text("live")


def test_the_machine_page_appends_live_samples_and_zooming_fetches_history(
    operator: Watched, demo: DemoServer
) -> None:
    page = operator.page
    page.goto(f"{demo.url}/machine/{MACHINE}")
    expect(page.locator("#chart .main-svg").first).to_be_visible(timeout=30_000)
    points = "document.getElementById('chart').data.find(t => t.name === 'temperature').x.length"
    before = page.evaluate(points)
    page.wait_for_timeout(2_000)
    assert page.evaluate(points) > before
    box = page.locator("#chart .nsewdrag").nth(1).bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    with page.expect_request(lambda r: "/api/history" in r.url and "every=" in r.url):
        page.mouse.move(box["x"] + 0.3 * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + 0.6 * box["width"], y, steps=5)
        page.mouse.up()
    expect(page.locator(".mode")).to_contain_text("History:")
    page.click("text=Back to live")
    expect(page.locator(".mode")).to_contain_text("Live:")
    assert operator.errors == []


def test_an_alarm_of_the_twin_shows_and_the_operators_acknowledgement_is_stored(
    operator: Watched, demo: DemoServer
) -> None:
    page = operator.page
    page.goto(demo.url + "/")
    ringed = page.locator('.tile[data-alarm]:not([data-alarm=""])').first
    expect(ringed).to_be_visible(timeout=ALARM_WAIT_MS)
    expect(ringed.locator(".badge")).to_contain_text("alarm")
    machine = ringed.get_attribute("data-machine")

    page.goto(demo.url + "/alarms")
    row = page.locator(f'#active-alarms tr[data-machine="{machine}"]:has([data-action=ack])')
    expect(row.first).to_be_visible(timeout=ALARM_WAIT_MS)
    alarm_id = row.first.get_attribute("data-alarm-id")
    comment = f"checked on site, web test {uuid.uuid4().hex[:8]}"
    page.locator(f'#active-alarms tr[data-alarm-id="{alarm_id}"] [data-action=ack]').click()
    page.fill("#action-comment", comment)
    page.click("#action-ok")
    shown = page.locator("#alarm-history tr[data-kind='alarm.acknowledged']", has_text=comment)
    expect(shown).to_contain_text(OPERATOR, timeout=15_000)

    stored = acknowledgement(demo, str(alarm_id), comment)
    assert stored["actor"] == f"user:{OPERATOR}"
    assert stored["payload"]["comment"] == comment
    assert operator.errors == []


def test_a_viewer_sees_the_alarms_without_acknowledge_or_shelve_buttons(
    viewer: Watched, demo: DemoServer
) -> None:
    page = viewer.page
    page.goto(demo.url + "/alarms")
    expect(page.locator("#active-alarms tbody tr").first).to_be_visible(timeout=ALARM_WAIT_MS)
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("[data-action]")).to_have_count(0)
    assert viewer.errors == []


def acknowledgement(demo: DemoServer, alarm_id: str, comment: str) -> dict[str, object]:
    """The stored ``alarm.acknowledged`` event with ``comment``, read back from the historian."""
    deadline = time.monotonic() + 15
    # The twin's clock runs ahead of the wall clock at 60 x: look a day either side of now.
    path = "/api/alarms/history?start=-1d&end=%2B1d&limit=5000"
    while time.monotonic() < deadline:
        events = demo.call("GET", path, token=demo.admin_token)
        found = [
            e
            for e in events
            if e["kind"] == "alarm.acknowledged"
            and e["payload"]["alarm_id"] == alarm_id
            and e["payload"].get("comment") == comment
        ]
        if found:
            return dict(found[0])
        time.sleep(0.5)
    raise AssertionError(f"no stored acknowledgement of {alarm_id} with {comment!r}")


def test_the_oee_page_shows_oee_by_line_and_by_shift_and_a_downtime_pareto(
    operator: Watched, demo: DemoServer
) -> None:
    page = operator.page
    page.goto(demo.url + "/oee")
    expect(page.locator("#oee-table tbody tr")).to_have_count(9, timeout=30_000)
    page.click("button[value=line]")
    expect(page.locator("#oee-table th").first).to_have_text("Line")
    expect(page.locator("#oee-table tbody tr")).to_have_count(1)
    page.click("button[value=shift]")
    expect(page.locator("#oee-table th").first).to_have_text("Shift")
    expect(page.locator("#pareto .main-svg, #pareto .empty").first).to_be_visible()
    assert operator.errors == []
