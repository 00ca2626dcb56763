"""End to end: victims describe incidents to the real servers (REST and the web chat), the server's own periodic
refresh folds them, and `python -m console.observatory stats --json` shows them per incident and public."""

import csv
import io
import json
import re
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from console import auth
from tests.conftest import Bot, console_servers, shared_database
from tests.support.cli import observatory_json
from tests.support.victims import DESCRIPTIONS
from tests.test_handover import PASSWORD, Staff

REFRESH_SECONDS = 3
# Several incidents, several publics (a business and a town hall say who they are), two channels.
JOURNEYS = [
    ("hameconnage", "", "rest"),
    ("hameconnage", "", "web"),
    ("hameconnage", "", "rest"),
    ("piratage_compte", "", "rest"),
    ("piratage_compte", "", "web"),
    ("arnaque_achat", "", "rest"),
    ("faux_support_technique", "", "web"),
    ("sextorsion", "", "rest"),
    ("fraude_carte_bancaire", "", "rest"),
    ("rancongiciel", "je suis le gérant d'une entreprise. ", "rest"),
    ("rancongiciel", "je travaille à la mairie, pour la commune. ", "web"),
    ("fraude_virement", "je suis le gérant d'une entreprise. ", "rest"),
] * 2


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("observatory")
    with shared_database(tmp, "observatory.db") as database_url:
        auth.create_user("chef@example.org", "Chef", PASSWORD, "supervisor")
        auth.create_user("op@example.org", "Op", PASSWORD, "operator")
        env = {"OBSERVATORY_REFRESH_SECONDS": str(REFRESH_SECONDS), "EXPORT_DIR": str(tmp / "exports")}
        with console_servers(tmp, database_url, env) as (_, bot):
            yield bot


def stats(database_url: str) -> dict:
    return observatory_json(database_url, "stats", "--days", "2", "--json")


def diagnosed(database_url: str) -> dict:
    """The incident the tracker store holds for each conversation (the last `incident` slot)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT sender_id, data FROM events WHERE type_name = 'slot' AND action_name = 'incident' ORDER BY id"
            )
        ).all()
    engine.dispose()
    found = {}
    for sender_id, data in rows:
        value = json.loads(data).get("value")
        if value:
            found[sender_id] = value
    return found


def test_journeys_told_to_the_servers_appear_in_stats_within_one_refresh_period(served: Bot):
    senders = []
    for incident, who, channel in JOURNEYS:
        sender = f"web:{uuid.uuid4()}" if channel == "web" else f"obs-{uuid.uuid4().hex[:10]}"
        reply = served.text(served.say(sender, who + DESCRIPTIONS[incident]))
        assert reply, "the victim must get a reply"
        senders.append(Bot.conversation_id(sender))
    told = time.monotonic()

    expected: dict = {}
    tracked = diagnosed(served.database_url)
    for sender in senders:
        assert sender in tracked, "every description was diagnosed"
        expected[tracked[sender]] = expected.get(tracked[sender], 0) + 1
    assert len(expected) >= 6

    report = stats(served.database_url)
    while report["total"] < len(JOURNEYS) and time.monotonic() - told < 3 * REFRESH_SECONDS + 10:
        time.sleep(1)
        report = stats(served.database_url)

    assert report["total"] == len(JOURNEYS)
    assert report["incidents"] == expected
    assert report["refreshed_at"] is not None
    publics: dict = {}
    channels: dict = {}
    for row in report["rows"]:
        for key, n in row["by_public"].items():
            publics[key] = publics.get(key, 0) + n
        for key, n in row["by_channel"].items():
            channels[key] = channels.get(key, 0) + n
    assert channels == {"rest": 16, "web": 8}
    assert publics.get("entreprise", 0) >= 2 and publics.get("collectivite", 0) >= 1
    assert sum(publics.values()) == len(JOURNEYS)

    # Nothing is counted twice by the next runs.
    time.sleep(REFRESH_SECONDS + 1)
    assert stats(served.database_url)["incidents"] == expected


def test_the_statistics_page_shows_charts_with_their_tables_in_a_real_browser_and_exports_no_small_cell(served: Bot):
    from playwright.sync_api import sync_playwright

    from tests.test_webchat import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    for _ in range(6):  # enough phishing journeys today for a published cell
        served.say(f"obs-page-{uuid.uuid4().hex[:8]}", DESCRIPTIONS["hameconnage"])
    served.say(
        f"obs-page-{uuid.uuid4().hex[:8]}", "je travaille à la mairie, pour la commune. " + DESCRIPTIONS["rancongiciel"]
    )
    chef = Staff(served.base_url, "chef@example.org")
    page_url = f"{served.base_url}/console/observatoire"
    deadline = time.monotonic() + 3 * REFRESH_SECONDS + 15
    while True:  # the server's own refresh folds them
        total = int(re.search(r'id="total">(\d+)<', chef.http.get(page_url, timeout=30).text)[1])
        if total >= 7 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert total >= 7

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR")
            page.set_default_timeout(20_000)
            errors: list = []  # script errors, content-policy refusals, and any failed request but the favicon's
            page.on(
                "console",
                lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
            )
            page.context.add_cookies(
                [{"name": c.name, "value": c.value, "url": served.base_url} for c in chef.http.cookies]
            )
            page.goto(page_url)
            assert page.locator("h1").inner_text().startswith("Observatoire")
            charts = page.locator("svg[role=img]")
            assert charts.count() >= 6
            assert page.locator("#time-incident svg polyline, #time-incident svg circle").count() >= 1
            assert "Hameçonnage" in page.locator("#time-incident svg").inner_html()
            # every chart's data is a table too
            page.locator("#shares summary").click()
            shares = page.locator("#shares table tbody tr")
            assert shares.count() >= 2
            assert any("hameçonnage" in shares.nth(i).inner_text().lower() for i in range(shares.count()))
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "observatory.png"), full_page=True)
            box = charts.first.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100  # drawn, not an empty element
            # a filter: the town halls only
            page.select_option("select[name=public]", "collectivite")
            page.click("form.filters button")
            page.wait_for_load_state()
            assert "public=collectivite" in page.url
            assert int(page.locator("#total").inner_text()) >= 1 and int(page.locator("#total").inner_text()) < total
            assert errors == []  # nothing blocked by the content policy, no script error
        finally:
            browser.close()

    exported = chef.http.get(f"{page_url}/export.csv", timeout=30)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and all(int(row["count"]) >= 5 for row in rows)
    assert any(row["incident"] == "hameconnage" and row["measure"] == "journeys" for row in rows)
    assert not any(row["incident"] == "rancongiciel" for row in rows)  # one town hall: a small cell, never exported
    document = chef.http.get(f"{page_url}/export.json", timeout=30).json()
    assert document["min_cell"] == 5 and all(row["count"] >= 5 for row in document["rows"])
    # a bad filter gets the page and a message, not an error
    odd = chef.http.get(page_url, params={"du": "<script>", "region": "Atlantide"}, timeout=30)
    assert odd.status_code == 200 and "Date invalide" in odd.text and "<script>" not in odd.text


def test_the_statistics_page_and_its_exports_are_for_supervisors_only(served: Bot):
    page_url = f"{served.base_url}/console/observatoire"
    for path in ("", "/export.csv", "/export.json"):
        anonymous = requests.get(page_url + path, allow_redirects=False, timeout=30)
        assert anonymous.status_code in (302, 303) and anonymous.headers["Location"].endswith("/console/login")
        operator = Staff(served.base_url, "op@example.org")
        refused = operator.http.get(page_url + path, allow_redirects=False, timeout=30)
        assert refused.status_code == 403
