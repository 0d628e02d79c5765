"""In Debian's Chromium: sign in from the keyboard on a phone-sized screen, and sign out."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.staff.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.browser


def test_sign_in_by_keyboard_and_sign_out(app, live_server, browser):
    make_staff(app, "admin", name="Ada")
    browser.get(live_server.url + "/staff/admin/audit")
    wait = WebDriverWait(browser, 10)
    wait.until(EC.title_contains("Sign in"))
    # The email field takes focus (autofocus may land just after the title); type, Tab, Enter submits.
    wait.until(lambda b: b.switch_to.active_element.get_attribute("id") == "email")
    active = browser.switch_to.active_element
    active.send_keys("admin@peerline.test", Keys.TAB)
    browser.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    wait.until(EC.title_contains("Audit log"))  # back where we were heading
    assert "login" in browser.find_element(By.CSS_SELECTOR, "main table").text
    # Phone-sized: the page does not scroll sideways.
    width = browser.execute_script("return document.documentElement.scrollWidth")
    viewport = browser.execute_script("return window.innerWidth")
    assert width <= viewport
    browser.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    wait.until(EC.title_contains("Sign in"))
    browser.get(live_server.url + "/staff/")
    wait.until(EC.title_contains("Sign in"))


def test_wrong_password_shows_a_message(app, live_server, browser):
    make_staff(app, "moderator")
    browser.get(live_server.url + "/staff/login")
    browser.find_element(By.ID, "email").send_keys("moderator@peerline.test")
    browser.find_element(By.ID, "password").send_keys("wrong wrong wrong", Keys.ENTER)
    flash = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.error")))
    assert "did not match" in flash.text


def test_every_page_fits_a_phone_screen(app, live_server, browser):
    from tests.circles.factories import open_circle
    from tests.shares.factories import make_share
    from tests.stories.factories import make_story, make_topic
    admin = make_staff(app, "admin", name="Ada")
    share_id = make_share(app, tier="crisis", priority=90)
    make_story(app, topic_id=make_topic(app))
    circle_id = open_circle(app, admin)
    browser.get(live_server.url + "/staff/login")
    browser.find_element(By.ID, "email").send_keys("admin@peerline.test")
    browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.title_contains("Start"))
    for path in ("/staff/", "/staff/shares/", f"/staff/shares/{share_id}", "/staff/stories/", "/staff/circles/",
                 f"/staff/circles/{circle_id}", f"/staff/circles/{circle_id}/console", "/staff/admin/staff",
                 "/staff/admin/audit"):
        browser.get(live_server.url + path)
        assert browser.execute_script("return window.innerWidth") <= 400
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        current = browser.find_elements(By.CSS_SELECTOR, "nav a[aria-current=page]")
        assert len(current) <= 1, path
