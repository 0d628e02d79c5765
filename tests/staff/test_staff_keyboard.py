"""What axe cannot see, checked from the keyboard in Debian's Chromium: the live console keeps focus
through refreshes and actions and announces only changes; the review page's transcript is one Tab
stop; focus rings and flagged words stand out at 3:1 or more."""
from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from ivr.circles import roster as circle_roster
from ivr.extensions import db
from ivr.circles.models import CircleParticipant
from tests.staff import axe
from tests.circles.factories import (facilitator_joins, open_circle, participant_joins, roster, simulator, twilio_muted)
from tests.staff.conftest import make_staff
from tests.shares.factories import make_share, transcript_for
from tests.stories.factories import make_topic
from tests.staff.test_staff_accessibility import sign_in

pytestmark = pytest.mark.browser

#: The contrast of two CSS colours ("rgb(r, g, b)" as getComputedStyle gives them), WCAG's formula, in the page.
CONTRAST_JS = """
function lum(c) { var m = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(function (v) {
  v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; }
function bg(node) { for (; node; node = node.parentElement) { var c = getComputedStyle(node).backgroundColor;
  if (c && c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) { return c; } } return 'rgb(255, 255, 255)'; }
function ratio(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
"""


@pytest.fixture
def app_config():
    """Refresh the console's roster every second, so three refreshes take three seconds."""
    return {"STAFF_ROSTER_POLL_SECONDS": 1}


def active_is(browser, element) -> bool:
    """Whether this very element (not a rebuilt copy) has keyboard focus."""
    return browser.execute_script("return document.activeElement === arguments[0]", element)


def wait_refreshes(browser, count: int) -> None:
    """Wait until the console has applied `count` more roster refreshes."""
    seen = [browser.execute_script("return document.getElementById('console').dataset.updated || ''")]
    def refreshed(driver):
        now = driver.execute_script("return document.getElementById('console').dataset.updated || ''")
        if now != seen[-1]:
            seen.append(now)
        return len(seen) > count
    WebDriverWait(browser, 15).until(refreshed)


def test_console_keeps_focus_through_refreshes_and_actions(app, live_server, browser):
    fac_id = make_staff(app, "facilitator", name="Sam")
    open_circle(app, fac_id)
    sim = simulator(app)
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))
    try:
        facilitator_joins(sim)
        caller = participant_joins(sim, "+15550101111")
        participant_joins(sim, "+15550102222")
        sign_in(browser, live_server.url, "facilitator@peerline.test")
        browser.find_element(By.LINK_TEXT, "Circles").click()
        browser.find_element(By.LINK_TEXT, "Open the console").click()
        wait.until(EC.presence_of_element_located((By.ID, "roster")))
        people = roster(app)
        second, third = people[1], people[2]
        # Count rows the page throws away: an in-place roster throws away none.
        browser.execute_script(
            "window.rowsRemoved = 0; new MutationObserver(function (changes) { changes.forEach(function (c) {"
            " window.rowsRemoved += Array.prototype.filter.call(c.removedNodes, function (n) { return n.nodeType === 1; }).length; }); })"
            ".observe(document.getElementById('roster'), {childList: true, subtree: true});")
        assert browser.find_element(By.ID, "roster").get_attribute("aria-live") is None

        # Keyboard focus on participant 2's Unmute button; it names whom it acts on.
        button = browser.find_element(By.CSS_SELECTOR, f'#participant-{second.id} button[data-op="unmute"]')
        assert button.accessible_name == "Unmute participant 2"
        assert browser.find_element(By.CSS_SELECTOR, f'#participant-{second.id} button[data-op="remove"]').accessible_name \
            == "Remove participant 2"
        browser.execute_script("arguments[0].focus()", button)
        wait_refreshes(browser, 3)
        assert active_is(browser, button), browser.execute_script("return document.activeElement.outerHTML")

        # An action from the keyboard: focus stays on the same button, which now mutes.
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"#participant-{second.id}").get_attribute("data-muted") == "false")
        wait.until(lambda d: twilio_muted(sim, app, caller.sid) is False)
        assert active_is(browser, button)
        assert button.get_attribute("data-op") == "mute" and button.accessible_name == "Mute participant 2"
        wait.until(lambda d: "Participant 2 can speak" in d.find_element(By.ID, "console-news").text)
        wait_refreshes(browser, 3)
        assert active_is(browser, button)
        # The next Tab goes on from here (participant 2's Remove), not back to the first participant.
        browser.switch_to.active_element.send_keys(Keys.TAB)
        assert browser.switch_to.active_element.get_attribute("data-op") == "remove"
        assert browser.switch_to.active_element.accessible_name == "Remove participant 2"

        # A meeting-wide action keeps focus too.
        mute_all = browser.find_element(By.CSS_SELECTOR, '#session-controls button[data-op="mute_all"]')
        browser.execute_script("arguments[0].focus()", mute_all)
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        wait.until(lambda d: "Everyone is muted" in d.find_element(By.ID, "console-news").text)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"#participant-{second.id}").get_attribute("data-muted") == "true")
        wait_refreshes(browser, 3)
        assert active_is(browser, mute_all)

        # Only changes are announced: a hand raised by phone is said once, by participant number.
        with app.app_context():
            circle_roster.toggle_hand(db.session.get(CircleParticipant, third.id))
            db.session.commit()
        wait.until(lambda d: d.find_element(By.ID, "console-news").text == "Participant 3 raised a hand.")
        wait.until(lambda d: not d.find_element(By.CSS_SELECTOR, f"#participant-{third.id} .hand").get_attribute("hidden"))
        news = browser.find_element(By.ID, "console-news").text
        wait_refreshes(browser, 2)
        assert browser.find_element(By.ID, "console-news").text == news  # nothing new: nothing re-said
        assert browser.execute_script("return window.rowsRemoved") == 0
        assert active_is(browser, mute_all)

        # Removing someone takes their controls away: focus stays on their row, not the page.
        remove = browser.find_element(By.CSS_SELECTOR, f'#participant-{third.id} button[data-op="remove"]')
        browser.execute_script("arguments[0].focus()", remove)
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        wait.until(lambda d: "Participant 3 was removed" in d.find_element(By.ID, "console-news").text)
        assert browser.switch_to.active_element.get_attribute("id") == f"participant-{third.id}"
        assert browser.find_elements(By.CSS_SELECTOR, f"#participant-{third.id} button") == []
    finally:
        sim.close()


WORDS_450 = " ".join(("we talked about the long nights and how the mornings got a little easier each week "
                      "because someone listened").split() * 30).split()[:450]


def test_review_reaches_publish_in_under_20_tabs_and_enter_publishes(app, live_server, browser):
    make_staff(app, "moderator", name="Maya")
    topic_id = make_topic(app)
    assert len(WORDS_450) == 450
    share_id = make_share(app, transcript=transcript_for(" ".join(WORDS_450)))
    axe.set_width(browser, 1280)
    sign_in(browser, live_server.url, "moderator@peerline.test")
    browser.get(f"{live_server.url}/staff/shares/{share_id}")
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "publish-button")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#transcript .w")) == 450
    assert browser.find_element(By.ID, "transcript").get_attribute("role") == "group"

    # From the top of the page, Tab by Tab.
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    stops = []
    for _ in range(30):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        active = browser.switch_to.active_element
        stops.append(active.get_attribute("id") or active.get_attribute("class") or active.tag_name)
        if active.get_attribute("id") == "publish-button":
            break
    assert stops[-1] == "publish-button", stops
    print(f"\nTabs from the top of the page to Publish: {len(stops)} ({' '.join(stops)})")
    assert len(stops) < 20, " ".join(stops)
    assert sum(1 for s in stops if s.startswith("w")) == 1, stops  # the transcript: one stop

    # Arrow keys move between words; only the current word is in the Tab order.
    first = browser.find_element(By.CSS_SELECTOR, '#transcript .w[data-i="0"]')
    first.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute("data-i") == "1"
    browser.switch_to.active_element.send_keys(Keys.END)
    assert browser.switch_to.active_element.get_attribute("data-i") == "449"
    assert browser.execute_script("return document.querySelectorAll('#transcript .w[tabindex=\"0\"]').length") == 1
    # aria-pressed only while choosing words to bleep.
    assert browser.find_elements(By.CSS_SELECTOR, "#transcript .w[aria-pressed]") == []
    browser.find_element(By.ID, "bleep-mode").send_keys(Keys.SPACE)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#transcript .w[aria-pressed]")) == 450
    browser.find_element(By.ID, "bleep-mode").send_keys(Keys.SPACE)
    assert browser.find_elements(By.CSS_SELECTOR, "#transcript .w[aria-pressed]") == []
    # The flagged word says so in its name, not only by colour.
    assert "flagged" in browser.find_element(By.CSS_SELECTOR, '#transcript .w[data-i="3"]').accessible_name

    # The preview button keeps focus while it works and announces the ready preview.
    preview = browser.find_element(By.ID, "preview-button")
    browser.execute_script("arguments[0].focus()", preview)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "preview-status").text == "Preview ready")
    assert active_is(browser, preview)

    # Enter in the Title field publishes (it used to play the preview).
    Select(browser.find_element(By.ID, "topic")).select_by_value(str(topic_id))
    browser.find_element(By.ID, "title").send_keys("Mornings got easier", Keys.ENTER)
    WebDriverWait(browser, 20).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "Published"))


def open_a_share(app, live_server, browser) -> None:
    """A moderator signed in, on the review page of a publishable share."""
    make_staff(app, "moderator", name="Maya")
    make_topic(app)
    share_id = make_share(app)
    sign_in(browser, live_server.url, "moderator@peerline.test")
    browser.get(f"{live_server.url}/staff/shares/{share_id}")


def test_publish_error_marks_the_field_and_takes_focus(app, live_server, browser):
    open_a_share(app, live_server, browser)
    # The browser's own check first: an empty required title is marked invalid when submitted.
    browser.find_element(By.ID, "publish-button").click()
    assert browser.find_element(By.ID, "title").get_attribute("aria-invalid") == "true"
    # The server's check (a title of spaces passes the browser): the field is marked and focused.
    browser.find_element(By.ID, "title").send_keys("   ", Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flashes .flash.error")))
    title = browser.find_element(By.ID, "title")
    assert title.get_attribute("aria-invalid") == "true" and active_is(browser, title)
    assert "first-error" in title.get_attribute("aria-describedby")


def test_focus_rings_and_flagged_words_have_3_to_1_contrast(app, live_server, browser):
    open_a_share(app, live_server, browser)
    checked = {}
    for css in ("header.top nav a", "main a", "#title", "#publish-button", "#preview-button", "#transcript .w.flagged"):
        element = browser.find_element(By.CSS_SELECTOR, css)
        # Focus without a pointer, as a keyboard would: the :focus-visible ring must show.
        browser.execute_script("arguments[0].focus()", element)
        assert browser.execute_script("return document.activeElement.matches(':focus-visible')"), css
        ring = browser.execute_script(CONTRAST_JS + "var e = document.activeElement, s = getComputedStyle(e);"
                                      "return [s.outlineStyle, parseFloat(s.outlineWidth), ratio(s.outlineColor, bg(e.parentElement))];")
        assert ring[0] != "none" and ring[1] >= 2, (css, ring)
        checked[css] = round(ring[2], 2)
        assert ring[2] >= 3, (css, ring)
    word = browser.find_element(By.CSS_SELECTOR, '#transcript .w.flagged:not(.bleep), #transcript .w.flagged')
    frame = browser.execute_script(CONTRAST_JS + "var s = getComputedStyle(arguments[0]);"
                                   "return [s.boxShadow, ratio(s.boxShadow.match(/rgba?\\([^)]*\\)/)[0], bg(arguments[0].parentElement))];",
                                   word)
    assert frame[1] >= 3, frame
    fields = browser.execute_script(CONTRAST_JS + "var e = document.getElementById('title');"
                                    "return ratio(getComputedStyle(e).borderTopColor, bg(e.parentElement));")
    assert fields >= 3, fields
    print("focus-ring contrast:", checked, "flagged frame:", round(frame[1], 2), "field border:", round(fields, 2))
