"""The console in a real headless Chromium: log in, claim, decide; planted payloads stay inert;
a logged-out session's cookie, put back, is refused; hidden characters show.

Runs uvicorn in a thread on a free loopback port and drives Debian's chromium
through chromedriver with Selenium. Chromium here is offline, so nothing but
the console is reachable.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from review.db import open_queue
from review.landing import land_sweep
from review.service import get_case, list_cases
from review.web import create_app
from review.web.app import SESSION_COOKIE
from tests.conftest import free_port
from tests.review.builders import account, cluster, landing
from tests.review.conftest import IMG_PAYLOAD, PASSWORD, SCRIPT_PAYLOAD, T0

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Renders as "Pay 1000 USD to acct 42 now" with the bidi override and zero-width characters hidden.
DECEPTIVE_PROMPT = "Pay \u202eDSU 0001\u202c to \u200bacct\u200d 42\u2066 now\u2069\ufeff"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def console(console_url: str) -> Iterator[str]:
    """The console served by uvicorn in a background thread; yields its base URL."""
    engine = open_queue(console_url)
    app = create_app(console_url, "browser-test-secret-0123456789", engine=engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is missing: install Debian's chromium and chromium-driver")
    profile = tempfile.mkdtemp(prefix="hydrasweep-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_for_text(driver: WebDriver, element_id: str, text: str) -> None:
    """Wait for the page a click navigated to (slow under load) to show ``text``.

    The old page's element can go stale between finding it and reading its
    text while the new page loads; the wait tries again then. Chromium reports
    that race as StaleElementReference or, when the node left the document
    mid-read, as a generic "does not belong to the document" error (seen in CI).
    """

    def shows_text(d: WebDriver) -> bool:
        try:
            return any(e.text == text for e in d.find_elements(By.ID, element_id))
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False
            raise

    WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        shows_text
    )


def _log_in(driver: WebDriver, base: str, name: str) -> None:
    """Log in from the queue page, which sends a logged-out browser to the login form."""
    driver.get(f"{base}/")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    _wait_for_text(driver, "who", f"{name} (analyst)")
    assert driver.find_element(By.ID, "who").text == f"{name} (analyst)"


def test_login_claim_decide_with_payloads_inert(
    console: str, browser: WebDriver, console_url: str
) -> None:
    _log_in(browser, console, "alice")
    rows = browser.find_elements(By.CSS_SELECTOR, "#cases tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["#1", "#2"]

    browser.find_element(By.ID, "claim-next").click()
    _wait_for_text(browser, "case-status", "claimed")
    assert browser.current_url == f"{console}/cases/1"
    assert browser.find_element(By.ID, "case-status").text == "claimed"

    # The planted payloads show as text and never ran.
    prompts = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "pre.user-prompt")]
    assert prompts == [f"Translate this: {SCRIPT_PAYLOAD}", f"caption {IMG_PAYLOAD}"]
    system = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "pre.system-prompt")]
    assert system == [f"</pre>{SCRIPT_PAYLOAD}"]
    values = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#entities td.value")]
    assert values == [f"curl/8 {IMG_PAYLOAD}"]
    assert browser.find_elements(By.CSS_SELECTOR, "main script, main img") == []
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.find_elements(By.CSS_SELECTOR, "svg.timeline rect")  # the activity plot

    # Abuse, except one account; then the console moves on to the next case by itself.
    browser.find_element(By.ID, "outcome-abuse").click()
    browser.find_element(By.ID, "except-accounts").send_keys("farm-02")
    browser.find_element(By.ID, "reason").send_keys("one payment card, templated prompts")
    assert browser.find_element(By.ID, "then-next").is_selected()
    browser.find_element(By.ID, "decide-button").click()
    WebDriverWait(browser, 30).until(lambda d: d.current_url == f"{console}/cases/2")
    _wait_for_text(browser, "case-status", "claimed")

    notices = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".flash.ok")]
    assert notices == ["Case 1 decided: mixed.", "You claimed case 2."]
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    engine = open_queue(console_url)
    detail = get_case(engine, 1)
    assert (detail.case.outcome, detail.decisions[0].reviewer) == ("mixed", "alice")
    assert {m.account_id: m.outcome for m in detail.members} == {
        "farm-00": "abuse",
        "farm-01": "abuse",
        "farm-02": "legitimate",
    }
    assert [c.claimed_by for c in list_cases(engine, status="claimed")] == ["alice"]
    engine.dispose()


def test_logout_ends_the_session_and_its_cookie_is_refused_when_replayed(
    console: str, browser: WebDriver
) -> None:
    _log_in(browser, console, "alice")
    [cookie] = [c for c in browser.get_cookies() if c["name"] == SESSION_COOKIE]

    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
    WebDriverWait(browser, 30).until(lambda d: "/login" in d.current_url)
    browser.get(f"{console}/")
    assert "/login" in browser.current_url  # logged out

    browser.delete_all_cookies()
    browser.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": "/"})
    browser.get(f"{console}/cases/1")

    assert browser.current_url == f"{console}/login?next=/cases/1"
    assert browser.find_elements(By.ID, "who") == []
    assert browser.find_element(By.ID, "login-form")


def test_hidden_and_direction_changing_characters_show_visibly(
    console: str, browser: WebDriver, console_url: str
) -> None:
    engine = open_queue(console_url)
    land_sweep(
        engine,
        landing(
            date(2026, 11, 2),
            {"c-bidi": cluster("bidi", 1, tokens=1)},
            prompts=[DECEPTIVE_PROMPT],
            system_prompts=[],
            entities=[{"type": "email_domain", "value": "\u202egro.elpmaxe", "accounts": 1}],
        ),
        intake_cap=10,
        now=T0,
    )
    [case_id] = [c.id for c in list_cases(engine, status="all") if c.cluster_id == "c-bidi"]
    engine.dispose()

    _log_in(browser, console, "alice")
    browser.get(f"{console}/cases/{case_id}")
    _wait_for_text(browser, "case-status", "open")

    [prompt] = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "pre.user-prompt")]
    # What the analyst reads: every hidden character spelled out, in the order it was sent.
    assert prompt == (
        "Pay \\u202eDSU 0001\\u202c to \\u200bacct\\u200d 42\\u2066 now\\u2069\\ufeff"
    )
    assert not any(ch in prompt for ch in "\u202e\u202c\u200b\u200d\u2066\u2069\ufeff")
    values = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#entities td.value")]
    assert "\\u202egro.elpmaxe" in values


def test_the_cluster_graph_and_lanes_render_with_hostile_values_inert(
    console: str, browser: WebDriver, console_url: str
) -> None:
    hostile = f"\u202e{IMG_PAYLOAD}"
    engine = open_queue(console_url)
    members = [
        replace(
            account(f"ring-{i}", "c-ring", tokens=1),
            links=[{"type": "payment_fingerprint", "value": hostile}, {"type": "ip_prefix",
                   "value": f"203.0.113.0/{24 + i % 2}", "customers": 2,
                   "days": ["2026-11-01", "2026-11-02"]}],
            hourly_requests=[0] * 9 + [30, 31, 29] + [0] * 12,
        )
        for i in range(4)
    ]  # fmt: skip
    land_sweep(engine, landing(date(2026, 11, 2), {"c-ring": members}), intake_cap=10, now=T0)
    [case_id] = [c.id for c in list_cases(engine, status="all") if c.cluster_id == "c-ring"]
    engine.dispose()

    _log_in(browser, console, "alice")
    browser.get(f"{console}/cases/{case_id}")
    _wait_for_text(browser, "case-status", "open")

    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.cluster circle.account")) == 4
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.cluster rect.entity")) == 3
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.lanes rect.cell")) == 12
    tooltips = [
        t.get_attribute("textContent")
        for t in browser.find_elements(By.CSS_SELECTOR, "svg.cluster rect.entity title")
    ]
    assert f"payment_fingerprint: \\u202e{IMG_PAYLOAD} (4 members, 2026-11-02)" in tooltips
    legend = browser.find_element(By.CSS_SELECTOR, "ul.legend").text
    assert "ip_prefix (2026-11-02)" in legend and "payment_fingerprint (2026-11-02)" in legend
    # Each member's links in words: how many customers hold it, the days it was used.
    badges = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "p.links .badge")]
    assert (
        "ip_prefix 203.0.113.0/24: 2 customers; used 2026-11-01, 2026-11-02; linked 2026-11-02"
        in badges
    )
    assert browser.find_elements(By.CSS_SELECTOR, "main script, main img") == []
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
