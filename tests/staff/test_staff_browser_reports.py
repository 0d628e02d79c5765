"""In Debian's Chromium: the Reports page at 390 and 1280 px (charts drawn, tables readable, no console
errors, no sideways scrolling), and the relabelled queue and review pages.

Set PEERLINE_SCREENSHOT_DIR to keep full-page PNG screenshots of each page and width.
"""
from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from ivr.shares import domain as shares
from ivr.extensions import db
from tests.staff.conftest import PASSWORD, make_staff
from tests.shares.factories import make_share
from tests.staff.live import chromium_options
from tests.staff.test_staff_reports import seed_month

pytestmark = pytest.mark.browser
WIDTHS = (390, 1280)
SHOTS = os.environ.get("PEERLINE_SCREENSHOT_DIR")


@pytest.fixture
def logging_browser():
    """Chromium that keeps the page's console messages, so errors can be asserted."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.TemporaryDirectory(prefix="peerline-chromium-")
    options = chromium_options()
    options.add_argument(f"--user-data-dir={profile.name}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def at_width(browser, width: int) -> None:
    """Emulate a screen this wide (headless Chromium will not make a window narrower than 500 px)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})


def console_errors(browser) -> list[str]:
    """Console messages at error level since the last call."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(browser, name: str) -> None:
    """A full-page PNG under PEERLINE_SCREENSHOT_DIR, when set."""
    if not SHOTS:
        return
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    (Path(SHOTS) / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def sign_in(browser, url: str, email: str) -> None:
    """Sign in through the form."""
    browser.get(url + "/staff/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.title_contains("Start"))


def test_reports_page_at_phone_and_desktop_widths(app, live_server, logging_browser):
    browser = logging_browser
    seed_month(app)
    make_staff(app, "moderator", name="Maya")
    sign_in(browser, live_server.url, "moderator@peerline.test")
    console_errors(browser)
    for width in WIDTHS:
        at_width(browser, width)
        browser.get(live_server.url + "/staff/reports/?start=2026-03-01&end=2026-03-31")
        WebDriverWait(browser, 10).until(EC.title_contains("Reports"))
        assert browser.execute_script("return window.innerWidth") == width
        charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) == 8
        for chart in charts:
            box = chart.rect
            assert 0 < box["width"] <= width and box["height"] > 40, (width, box)
            # Each chart's name is its own <title>, and a table with the same figures follows it.
            assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-labelledby")
            table = chart.find_element(By.XPATH, "ancestor::figure/following-sibling::div[1]//table")
            assert table.find_element(By.TAG_NAME, "caption").text
        # Text inside charts stays legible: at least 10 CSS px high on the phone.
        smallest = browser.execute_script(
            "return Math.min(...Array.from(document.querySelectorAll('svg.chart text')).map(t => t.getBoundingClientRect().height))")
        assert smallest >= 10, (width, smallest)
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (width, overflow)
        assert "fewer than 5" in browser.find_element(By.TAG_NAME, "main").text
        assert browser.find_elements(By.CSS_SELECTOR, "a[href*='.csv']")
        assert console_errors(browser) == [], width
        screenshot(browser, f"issue-16-reports-{width}")
    # The date range is a plain form: choosing one day redraws every chart for that day alone.
    browser.get(live_server.url + "/staff/reports/?start=2026-03-05&end=2026-03-05")
    rows = browser.find_elements(By.CSS_SELECTOR, "#calls-per-day tbody tr")
    assert len(rows) == 1 and "05 Mar" in rows[0].text
    assert console_errors(browser) == []


def test_queue_and_review_pages_after_relabelling(app, live_server, logging_browser):
    browser = logging_browser
    make_staff(app, "moderator", name="Maya")
    crisis = make_share(app, tier="crisis", priority=88)
    make_share(app, tier="personal_details", priority=15)
    listen = make_share(app, processed=False, language="ko")
    failed = make_share(app, processed=False)
    with app.app_context():
        shares.mark_needs_listening(listen, "no speech-recognition model for language 'ko'")
        shares.mark_failed(failed, "processing failed: could not fetch the recording from Twilio: "
                                   "fetch recording: ConnectionError")
        db.session.commit()
    sign_in(browser, live_server.url, "moderator@peerline.test")
    console_errors(browser)
    for width in WIDTHS:
        at_width(browser, width)
        browser.get(live_server.url + "/staff/shares/")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Crisis" in text and "Needs listening" in text and "Personal details" in text
        assert "needs_listening" not in text and "fetch recording:" not in text and "twilio:" not in text
        assert "could not download the recording from Twilio" in text
        assert console_errors(browser) == [], width
        screenshot(browser, f"issue-16-queue-{width}")
        browser.get(live_server.url + f"/staff/shares/{listen}")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Needs listening" in text and "no speech recognition for this language (ko)" in text
        assert "needs_listening" not in text
        assert console_errors(browser) == [], width
        screenshot(browser, f"issue-16-review-needs-listening-{width}")
        browser.get(live_server.url + f"/staff/shares/{crisis}")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Crisis" in text and "Listen and follow up now." in text and "waiting" in text
        assert console_errors(browser) == [], width
        screenshot(browser, f"issue-16-review-crisis-{width}")
