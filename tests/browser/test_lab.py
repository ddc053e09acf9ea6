"""The lab in a real browser against a served demo lab (both backends): sign in, watch the demo session
charge, read its frames live, run commands from the generated forms, stop a session from the page,
see the chart, survive a dropped stream without gaps or duplicates, open and compare recordings, act
as an admin in an organization, and keep 1,000 chargers usable."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from replays.recording import StoredLine, header, write_events
from tests.browser.conftest import SCREENSHOTS, Lab
from tests.browser.tokens import token_for
from tests.process import ok

LIVE = 30  # seconds any live change may take on a loaded 2-core machine (it takes about one)
RECORDINGS = Path(__file__).resolve().parents[2] / "replays" / "recordings"


def until(browser: WebDriver, condition: Any, timeout: float = LIVE, message: str = "") -> Any:
    """Wait for `condition()` to hold (an element it looks for may not be there yet)."""

    def holds(_: WebDriver) -> Any:
        try:
            return condition()
        except (IndexError, StaleElementReferenceException):
            return False

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(holds, message)


def css(browser: WebDriver | WebElement, selector: str) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, selector)


def first(elements: list[WebElement]) -> WebElement | None:
    return elements[0] if elements else None


def chart_points(browser: WebDriver) -> int:
    """How many points the session chart draws (its data-points attribute)."""
    drawn = css(browser, ".session-chart .chart")[0].get_attribute("data-points")
    assert drawn is not None, "the chart says how many points it draws"
    return int(drawn)


def shot(browser: WebDriver, lab: Lab, name: str) -> None:
    """With LEDGER_LAB_SCREENSHOTS=folder: a picture of the whole page (docs/screenshots/ holds them)."""
    if SCREENSHOTS and lab.backend == "sqlite":
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1440, min(max(height + 120, 900), 2400))
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))
        browser.set_window_size(1440, 1000)


def sign_in(browser: WebDriver, lab: Lab, token: str | None = None) -> None:
    browser.get(lab.url + "/lab/static/lab.css")  # this origin, without the app running
    browser.execute_script("localStorage.clear()")
    browser.get(lab.url + "/#/fleet")
    field = until(browser, lambda: first(css(browser, "input[name=token]")), message="sign-in form")
    field.send_keys(token or lab.token)
    css(browser, ".sign-in button")[0].click()


def open_charger(browser: WebDriver, lab: Lab, identity: str) -> None:
    browser.get(lab.url + "/#/fleet")
    row = until(browser, lambda: first(css(browser, f'a.charger-row[data-identity="{identity}"]')))
    row.click()
    until(browser, lambda: css(browser, ".charger-view"), message="charger view")


def connector_status(browser: WebDriver, connector: int = 1) -> str:
    cards = css(browser, f'.connector-card[data-connector="{connector}"] .status')
    return cards[0].text if cards else ""


def trace_positions(browser: WebDriver) -> list[int]:
    """Every frame the trace holds (the virtual list puts only those in view in the page)."""
    return browser.execute_script(
        "const t = document.querySelector('.trace'); return t ? t.labFrames.map(f => f.position) : []"
    )


def run_from_form(browser: WebDriver, command: str, fields: dict[str, str]) -> dict[str, Any]:
    form = until(browser, lambda: first(css(browser, "#command-form")))
    Select(form.find_element(By.NAME, "command")).select_by_value(command)
    until(browser, lambda: css(form, "button[type=submit]")[0].text == f"run {command}")
    for name, value in fields.items():
        field = form.find_element(By.NAME, f"event.{name}")
        field.clear()
        field.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    answer = until(browser, lambda: first(css(form, ".answer")), message=f"answer to {command}")
    assert "accepted" in answer.text, answer.text
    return json.loads(answer.find_element(By.CSS_SELECTOR, "pre").text)


def test_the_page_is_served_at_the_root_without_a_token_and_loads_nothing_from_elsewhere(lab: Lab) -> None:
    page = lab.server.client.get("/", headers={"Authorization": ""})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for link in ('href="/docs"', 'href="/openapi.json"', 'href="/health"'):
        assert link in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text


def test_within_a_minute_the_demo_session_charges_live_with_frames_and_chart_and_stops_from_the_page(
    browser: WebDriver, lab: Lab
) -> None:
    sign_in(browser, lab)
    until(browser, lambda: len(css(browser, "a.charger-row")) == 3, message="the three demo chargers")
    demo1 = lambda: css(browser, 'a.charger-row[data-identity="DEMO-1"] .connector')[0].text  # noqa: E731
    until(browser, lambda: "Charging" in demo1(), message="DEMO-1 charging in the fleet")
    first = demo1()
    until(browser, lambda: demo1() != first, message="the fleet row's energy moves without a reload")
    shot(browser, lab, "fleet")

    open_charger(browser, lab, "DEMO-1")
    until(browser, lambda: connector_status(browser) == "Charging")
    energy = lambda: css(browser, '.connector-card[data-connector="1"] .energy')[0].text  # noqa: E731
    before = energy()
    until(browser, lambda: energy() != before, message="energy rises live")
    frames = len(trace_positions(browser))
    until(browser, lambda: len(trace_positions(browser)) > frames, message="frames arrive in the trace")
    until(
        browser,
        lambda: css(browser, '.trace-list .frame[data-action="MeterValues"]'),
        message="a MeterValues frame",
    )
    seen = chart_points(browser)
    grown = "the chart grows with each meter sample"
    until(browser, lambda: chart_points(browser) > max(seen, 1), message=grown)
    assert css(browser, ".session-chart canvas"), "uPlot drew the chart"

    css(browser, '.trace-list .frame.t2[data-action="MeterValues"]')[-1].click()
    detail = css(browser, ".frame-detail")[0].text
    assert "meterValue" in detail and "raw frame" in detail
    shot(browser, lab, "charger")

    # ... and the user stops it from the page.
    run_from_form(browser, "stop-session", {"connector_id": "1"})
    until(browser, lambda: connector_status(browser) not in ("Charging", ""), message="charging stops")
    until(browser, lambda: css(browser, '.trace-list .frame[data-action="StopTransaction"]'))
    until(
        browser,
        lambda: "stopped" in css(browser, ".session-chart")[0].text,
        message="the chart's session ended",
    )


def test_a_session_started_and_stopped_from_the_page_charts_and_traces_both(
    browser: WebDriver, lab: Lab
) -> None:
    sign_in(browser, lab)
    open_charger(browser, lab, "DEMO-2")
    answer = run_from_form(browser, "start-session", {"id_tag": "PAGE-TAG", "connector_id": "1"})
    assert answer["queued_count"] == 1
    until(browser, lambda: connector_status(browser) == "Charging", message="the new session charges")
    until(browser, lambda: "charging" in css(browser, ".session-chart")[0].text)
    until(browser, lambda: chart_points(browser) >= 2)

    run_from_form(browser, "stop-session", {"connector_id": "1"})
    until(browser, lambda: connector_status(browser) not in ("Charging", ""), message="charging stops")
    until(
        browser,
        lambda: css(browser, '.trace-list .frame[data-action="StopTransaction"]'),
        message="the StopTransaction frame arrives",
    )
    until(browser, lambda: "stopped" in css(browser, ".session-chart")[0].text, message="the session ends")
    statuses = lambda: [r.text for r in css(browser, "table.commands tr")]  # noqa: E731
    until(browser, lambda: any("stop_session" in s and "completed" in s for s in statuses()))


def test_a_command_run_from_the_commands_view_moves_to_completed_with_its_frames(
    browser: WebDriver, lab: Lab
) -> None:
    sign_in(browser, lab)
    browser.get(lab.url + "/#/commands")
    form = until(browser, lambda: first(css(browser, "#command-form")))
    until(browser, lambda: len(css(form, "select[name=charger_id] option")) == 3)
    Select(form.find_element(By.NAME, "command")).select_by_value("authorize-id-tag")
    # Some chargers of a location: the demo depot, DEMO-3 only.
    form.find_element(By.CSS_SELECTOR, "input[name=mode][value=subset]").click()
    depot = ok(lab.server.client.get("/ocpp/locations"))["data"][0]["id"]
    Select(until(browser, lambda: form.find_element(By.NAME, "location_id"))).select_by_value(depot)
    charger = ok(lab.server.client.get("/ocpp/chargers/DEMO-3"))["id"]
    until(
        browser, lambda: form.find_element(By.CSS_SELECTOR, f'input[name=charger_ids][value="{charger}"]')
    ).click()
    answer = run_from_form(browser, "authorize-id-tag", {"id_tag": "FORM-TAG"})
    assert [r["identity"] for r in answer["results"]] == ["DEMO-3"]
    command_id = answer["results"][0]["command"]["id"]
    row = until(browser, lambda: first(css(browser, f'tr[data-command="{command_id}"]')))
    row.find_element(By.CSS_SELECTOR, "td a").click()
    detail = until(browser, lambda: first(css(browser, ".command-detail")))
    until(browser, lambda: css(browser, ".command-detail")[0].get_attribute("data-status") == "completed")
    until(browser, lambda: "Authorize" in css(browser, ".command-frames")[0].text, message="its frames")
    assert detail is not None
    shot(browser, lab, "commands")


def test_the_charts_show_latency_percentiles_per_charger_figures_and_csms_errors(
    browser: WebDriver, lab: Lab
) -> None:
    sign_in(browser, lab)
    browser.get(lab.url + "/#/charts")
    until(browser, lambda: css(browser, ".charts .latency figure svg"), message="latency percentiles")
    stats = ok(lab.server.client.get("/analytics/commands"))
    completed = stats["latency"]["queued_to_completed"]["count"]
    assert f"queued → completed ({completed} commands)" in css(browser, ".charts .latency")[0].text
    sessions = css(browser, ".per-charger figure")[0]
    assert "DEMO-1" in sessions.text, "sessions per charger"
    assert css(browser, ".charts h3")[-1].text == "CSMS errors over time"
    shot(browser, lab, "charts")


def test_a_dropped_stream_catches_up_without_gaps_or_duplicates(browser: WebDriver, lab: Lab) -> None:
    session = {"target": {"charger_id": "DEMO-3"}, "event": {"id_tag": "DROP-TAG", "connector_id": 1}}
    ok(lab.server.client.post("/ocpp/commands/start-session", json=session), 202)  # frames keep coming
    sign_in(browser, lab)
    open_charger(browser, lab, "DEMO-3")
    until(browser, lambda: len(trace_positions(browser)) > 5)
    for _ in range(3):  # drop the line as a network failure would, and let frames arrive meanwhile
        count = len(trace_positions(browser))
        browser.execute_script("for (const s of window.labStreams) s.drop()")
        until(browser, lambda: css(browser, ".badge.stream-live"), message="the stream reconnects")
        until(browser, lambda n=count: len(trace_positions(browser)) > n, message="frames after the drop")
    shown = trace_positions(browser)
    assert shown == sorted(set(shown)), "no frame twice, all in ledger order"
    charger = ok(lab.server.client.get("/ocpp/chargers/DEMO-3"))["id"]
    stored = ok(
        lab.server.client.get(
            f"/lab/api/chargers/{charger}/frames", params={"after": shown[0] - 1, "limit": 1000}
        )
    )["data"]
    assert [f["position"] for f in stored if f["position"] <= shown[-1]] == shown, "no frame missing"


def test_a_trace_export_opens_as_a_verified_recording_and_recordings_compare_side_by_side(
    browser: WebDriver, lab: Lab, tmp_path: Path
) -> None:
    sign_in(browser, lab)
    open_charger(browser, lab, "DEMO-1")
    until(browser, lambda: len(trace_positions(browser)) > 3)
    css(browser, ".trace button")[1].click()  # pause, export
    export = next(b for b in css(browser, ".trace button") if b.text == "export as recording")
    export.click()
    until(browser, lambda: "exported" in css(browser, ".export-note")[0].text)
    css(browser, ".export-note a")[0].click()
    until(browser, lambda: css(browser, ".recordings"))
    next(b for b in css(browser, ".recordings button") if b.text.startswith("open the last export")).click()
    verdict = until(browser, lambda: first(css(browser, ".inspection [data-intact]")))
    assert verdict.get_attribute("data-intact") == "true", verdict.text
    until(browser, lambda: len(css(browser, ".timeline li")) > 3, message="the export's timeline")

    kept = str(RECORDINGS / "session-ocpp16.jsonl")
    css(browser, "input[name=recording]")[0].send_keys(kept)
    until(browser, lambda: "session-ocpp16.jsonl" in css(browser, ".inspection h3")[0].text)
    assert (
        until(browser, lambda: css(browser, ".inspection [data-intact]")[0]).get_attribute("data-intact")
        == "true"
    )
    shot(browser, lab, "recording")

    tampered = tmp_path / "tampered.jsonl"
    lines = Path(kept).read_text().splitlines()
    changed = next(i for i, line in enumerate(lines) if i > 0 and '"Accepted"' in line)
    lines[changed] = lines[changed].replace('"Accepted"', '"Rejected"', 1)  # a CSMS answer rewritten
    tampered.write_text("\n".join(lines) + "\n")
    css(browser, "input[name=recording]")[0].send_keys(str(tampered))
    until(browser, lambda: "tampered.jsonl" in css(browser, ".inspection h3")[0].text)
    broken = until(browser, lambda: css(browser, ".inspection [data-intact]")[0])
    assert broken.get_attribute("data-intact") == "false" and "line" in broken.text

    replay = tmp_path / "replay.jsonl"
    replay.write_text(answered_differently(Path(kept), "Authorize", '"Accepted"', '"Blocked"'))
    css(browser, "input[name=before]")[0].send_keys(kept)
    css(browser, "input[name=after]")[0].send_keys(str(replay))
    css(browser, ".recordings form button")[0].click()
    verdict = until(browser, lambda: css(browser, ".comparison [data-same]")[0])
    assert verdict.get_attribute("data-same") == "false" and "1 difference" in verdict.text
    differing = css(browser, ".side-by-side tr.differs")
    assert len(differing) == 1 and "Authorize" in differing[0].text and "Blocked" in differing[0].text
    shot(browser, lab, "diff")


def answered_differently(recording: Path, action: str, old: str, new: str) -> str:
    """The recording as a replay would be if the CSMS had answered `action` with `new` for `old`: the
    answer frame rewritten and the hash chain recomputed, so the file verifies."""
    lines = recording.read_text().splitlines()
    events, calls = [], {}
    for text in lines[1:]:
        line = json.loads(text)
        fields = line["fields"]
        if line["type"].endswith("ChargePoint.FrameRecorded"):
            frame = json.loads(fields["raw"])
            if frame[0] == 2:
                calls[frame[1]] = frame[2]
            elif frame[0] == 3 and calls.get(frame[1]) == action:
                fields["raw"] = fields["raw"].replace(old, new)
        state = json.dumps(fields, separators=(",", ":")).encode()
        events.append(
            StoredLine(line["position"], line["aggregate_id"], line["version"], line["type"], state)
        )
    body = io.BytesIO()
    count, final_hash = write_events(events, body)
    head = json.loads(lines[0])
    return (
        header(head["source"], head["filter"], head["created_at"], count, final_hash)
        + "\n"
        + body.getvalue().decode()
    )


def test_an_admin_chooses_an_organization_and_no_token_ever_shows(browser: WebDriver, lab: Lab) -> None:
    admin = token_for(lab.env, None, admin=True)
    sign_in(browser, lab, admin)
    field = until(browser, lambda: first(css(browser, "input[name=organization]")))
    field.send_keys("dev")
    css(browser, ".sign-in button")[0].click()
    until(browser, lambda: len(css(browser, "a.charger-row")) == 3, message="the dev organization's fleet")
    assert "admin in dev" in css(browser, ".who")[0].text
    open_charger(browser, lab, "DEMO-1")
    until(browser, lambda: len(trace_positions(browser)) > 0)
    for token in (admin, lab.token):
        assert token not in browser.page_source and token not in browser.current_url


def test_a_fleet_of_a_thousand_chargers_stays_usable(browser: WebDriver, lab: Lab) -> None:
    client = lab.server.client
    location = ok(client.post("/ocpp/locations", json={"name": "Big depot"}), 201)["id"]
    template = {
        "brand_slug": "abb",
        "model_slug": "terra-184",
        "ws_url": "ws://127.0.0.1:9/ocpp",
        "ocpp_version": "OCPP1.6",
        "identity_prefix": "BIG-",
    }
    job = ok(
        client.post(
            f"/ocpp/locations/{location}/chargers",
            json=[
                {
                    "template": template,
                    "charger_ids": [f"{n:04}" for n in range(1000)],
                    "chargers_number": 1000,
                }
            ],
        ),
        202,
    )
    for charger in ok(client.get("/ocpp/chargers", params={"location_id": location, "limit": 100}))["data"]:
        client.post(f"/ocpp/chargers/{charger['id']}/stop-charger")  # a dead CSMS: stop retrying some
    assert job["job_id"]
    sign_in(browser, lab)
    until(browser, lambda: "1003 chargers" in css(browser, ".count")[0].text, message="all 1,003 listed")
    assert len(css(browser, "a.charger-row")) < 80, "only the rows in view are in the page"
    search = css(browser, "input[type=search]")[0]
    search.send_keys("BIG-0999")
    until(
        browser,
        lambda: [r.get_attribute("data-identity") for r in css(browser, "a.charger-row")] == ["BIG-0999"],
    )
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys("DEMO")  # typed over the selection, as a user would
    until(browser, lambda: len(css(browser, "a.charger-row")) == 3)
    Select(css(browser, "select[aria-label=filter]")[0]).select_by_value("charging")
    until(browser, lambda: css(browser, ".count")[0].text.startswith(f"{charging(lab)} of"), message="filter")


def charging(lab: Lab) -> int:
    chargers = ok(lab.server.client.get("/lab/api/fleet"))["chargers"]
    return sum(any(c["status"] == "Charging" for c in charger["connectors"]) for charger in chargers)


@pytest.fixture(autouse=True)
def _no_errors_in_the_console(browser: Chrome) -> Any:
    # A page left open by the test before keeps its stream reconnecting, to a server that may be gone:
    # leave it first, then drop what it logged.
    browser.get("about:blank")
    browser.get_log("browser")
    yield
    errors = [
        e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]
    assert not errors, errors
