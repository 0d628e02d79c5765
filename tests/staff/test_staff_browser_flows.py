"""The issue's two browser scenarios, in Debian's Chromium against a real HTTP server:
review a flagged share, bleep a word, publish it and hear the story through a simulated call;
and a facilitator's console muting a participant in a simulated circle."""
from __future__ import annotations

import io
import re

import pytest
import time

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from ivr.extensions import db
from ivr.shares.models import Share
from ivr.stories.models import Story
from ivr.storage import storage
from tests.circles.factories import (facilitator_joins, open_circle, participant_joins, roster, simulator, twilio_muted)
from tests.staff.conftest import PASSWORD, make_staff
from tests.shares.factories import make_share, speech_wav
from tests.stories.factories import make_topic
from tests.staff.test_staff_moderation import tone_share

pytestmark = pytest.mark.browser
LOUD = speech_wav("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen")


@pytest.fixture
def app_config():
    """Poll the console's roster every second, so live updates show quickly."""
    return {"STAFF_ROSTER_POLL_SECONDS": 1}


def click_when_fresh(browser, css, attempts=20):
    """Click an element the live roster may redraw (or briefly show from an older poll) first."""
    for _ in range(attempts):
        try:
            browser.find_element(By.CSS_SELECTOR, css).click()
            return
        except (StaleElementReferenceException, NoSuchElementException):
            time.sleep(0.25)
    raise AssertionError(f"{css} never became clickable")


def sign_in(browser, live_server, email):
    """Sign in through the form."""
    browser.get(live_server.url + "/staff/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.title_contains("Start"))


def test_review_bleep_publish_and_hear_it_on_the_phone(app, live_server, browser):
    make_staff(app, "moderator", name="Maya")
    topic_id = make_topic(app, "hope", "1")
    share_id = make_share(app, audio=LOUD, tier="personal_details", priority=15)
    wait = WebDriverWait(browser, 15)
    sign_in(browser, live_server, "moderator@peerline.test")

    # The queue shows the share and the longest wait.
    browser.find_element(By.LINK_TEXT, "Queue").click()
    wait.until(EC.presence_of_element_located((By.ID, "longest-wait")))
    browser.find_element(By.CSS_SELECTOR, f'tr[data-share="{share_id}"] a').click()
    wait.until(EC.presence_of_element_located((By.ID, "transcript")))

    # The original plays for staff; a word click seeks it.
    duration = browser.execute_script(
        "var a = document.getElementById('original'); return new Promise(function (ok) {"
        " if (a.readyState >= 1) { ok(a.duration); } else { a.addEventListener('loadedmetadata', function () { ok(a.duration); }); a.load(); } });")
    assert duration > 3
    word = browser.find_element(By.CSS_SELECTOR, '#transcript .w[data-i="6"]')  # starts at 2.4 s
    word.click()
    position = browser.execute_script("return document.getElementById('original').currentTime")
    assert 2.3 <= position <= 3.5

    # The flagged name is bleeped already; bleep word 2 ("three") as well and preview it.
    assert "bleep" in browser.find_element(By.CSS_SELECTOR, '#transcript .w[data-i="3"]').get_attribute("class")
    browser.find_element(By.ID, "bleep-mode").click()
    # From the keyboard: the word is a button, so Space toggles it.
    browser.find_element(By.CSS_SELECTOR, '#transcript .w[data-i="2"]').send_keys(Keys.SPACE)
    assert browser.find_element(By.ID, "bleep").get_attribute("value") == "2,3"
    browser.find_element(By.ID, "preview-button").click()
    wait.until(lambda d: d.find_element(By.ID, "preview").get_attribute("data-ready") == "1")
    preview_seconds = browser.execute_script(
        "var a = document.getElementById('preview'); return new Promise(function (ok) {"
        " if (a.readyState >= 1) { ok(a.duration); } else { a.addEventListener('loadedmetadata', function () { ok(a.duration); }); } });")
    assert abs(preview_seconds - duration) < 0.2

    # Publish with a topic and title.
    Select(browser.find_element(By.ID, "topic")).select_by_value(str(topic_id))
    browser.find_element(By.ID, "title").send_keys("Counting my way back")
    browser.find_element(By.ID, "publish-button").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "Published"))

    with app.app_context():
        share = db.session.get(Share, share_id)
        story = db.session.execute(select(Story)).scalar_one()
        assert share.status == "published" and story.title == "Counting my way back"
        audio = storage().get(story.audio_key)
    assert tone_share(audio, 0.82, 1.10) > 0.9  # "three", bleeped in the browser
    assert tone_share(audio, 1.22, 1.50) > 0.9  # the flagged name
    assert tone_share(audio, 2.0, 2.3) < 0.3

    # A caller hears it: stories, the topic, and the story's own (bleeped) audio is played.
    sim = simulator(app)
    try:
        call = sim.call("+15550104444", script=["1", "5", "1", "1"])
        said = " ".join(e.text for e in call.transcript if e.kind == "say")
        played = [e.text for e in call.transcript if e.kind == "play"]
    finally:
        sim.close()
    assert "Counting my way back" in said
    story_urls = [u for u in played if "/audio/stories/" in u]
    assert story_urls, played
    path = re.sub(r"^https?://[^/]+", "", story_urls[0])
    heard = app.test_client().get(path)
    assert heard.status_code == 200 and heard.data == audio


def test_facilitator_console_mutes_a_participant_live(app, live_server, browser):
    fac_id = make_staff(app, "facilitator", name="Sam")
    circle_id = open_circle(app, fac_id)
    sim = simulator(app)
    # The roster redraws itself every second: elements found a moment ago may be gone.
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))
    try:
        facilitator_joins(sim)
        caller = participant_joins(sim, "+15550101111")
        sign_in(browser, live_server, "facilitator@peerline.test")
        browser.find_element(By.LINK_TEXT, "Circles").click()
        browser.find_element(By.LINK_TEXT, "Open the console").click()
        wait.until(EC.presence_of_element_located((By.ID, "roster")))
        participant = roster(app)[1]
        row = f'#roster li[data-participant="{participant.id}"]'
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-muted") == "true")

        # Unmute, then mute: each reaches the conference through the telephony adapter.
        click_when_fresh(browser, f"{row} button[data-op=unmute]")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-muted") == "false")
        wait.until(lambda d: twilio_muted(sim, app, caller.sid) is False)
        click_when_fresh(browser, f"{row} button[data-op=mute]")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, row).get_attribute("data-muted") == "true")
        wait.until(lambda d: twilio_muted(sim, app, caller.sid) is True)

        # The roster is live: a caller joining now appears without a reload.
        participant_joins(sim, "+15550102222")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#roster li[data-participant]")) == 3)
        wait.until(lambda d: "3 on the call" in d.find_element(By.ID, "meeting").text)
    finally:
        sim.close()
