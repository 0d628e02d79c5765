"""A real HTTP server for the app in a thread, and Debian's Chromium driven by Selenium."""
from __future__ import annotations

import tempfile
import threading

import pytest
from werkzeug.serving import make_server


class LiveServer:
    """The app served by werkzeug on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    """The app behind a real HTTP server for the browser to talk to."""
    with LiveServer(app) as server:
        yield server


def chromium_options():
    """Headless Debian Chromium, a fresh profile, nothing fetched from the network by the browser."""
    from selenium.webdriver.chrome.options import Options
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=390,844", "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(arg)
    return options


@pytest.fixture
def browser():
    """A Selenium Chrome driver over /usr/bin/chromedriver (no Selenium Manager downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.TemporaryDirectory(prefix="peerline-chromium-")
    options = chromium_options()
    options.add_argument(f"--user-data-dir={profile.name}")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    # Headless Chromium will not make a window narrower than 500 px: emulate a phone's screen instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()
