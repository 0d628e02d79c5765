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
    # The email field has focus; type, Tab to the password, Enter submits.
    active = browser.switch_to.active_element
    assert active.get_attribute("id") == "email"
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
