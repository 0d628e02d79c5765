"""Sign-in attempts are also limited per client address (Flask-Limiter), not only per account."""
from __future__ import annotations

import pytest

from tests.staff.conftest import csrf_token, make_staff


@pytest.fixture
def app_config():
    """A small limit, so the test reaches it quickly."""
    return {"STAFF_LOGIN_RATE": "3 per minute"}


def _attempt(client, email, password="wrong password here", addr="10.0.0.1"):
    token = csrf_token(client)
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr})


def test_spraying_many_accounts_from_one_address_is_limited(app, client):
    make_staff(app, "moderator")
    for n in range(3):
        assert _attempt(client, f"someone{n}@peerline.test").status_code == 401
    blocked = _attempt(client, "moderator@peerline.test", "correct horse battery staple")
    assert blocked.status_code == 429 and "Too many" in blocked.get_data(as_text=True)
    # Another address is not affected, and page views are never limited.
    other = app.test_client()
    assert _attempt(other, "moderator@peerline.test", "correct horse battery staple", addr="10.0.0.2").status_code == 302
    assert client.get("/staff/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
