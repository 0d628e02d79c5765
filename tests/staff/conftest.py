"""Staff fixtures: accounts for every role, a signed-in client per role, CSRF tokens from pages."""
from __future__ import annotations

import re

import pytest

from ivr.extensions import db
from ivr.staff import accounts

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "moderator", "facilitator")
_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def make_staff(app, role: str, email: str | None = None, name: str | None = None) -> int:
    """Create an account directly through the accounts module; returns its id."""
    with app.app_context():
        user = accounts.create(email or f"{role}@peerline.test", name or role.title(), PASSWORD, role)
        db.session.commit()
        return user.id


def csrf_token(client, path: str = "/staff/login") -> str:
    """The CSRF token a page hands out (from its meta tag), as a browser would read it."""
    page = client.get(path)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, (path, page.status_code)
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    """Post the sign-in form with a valid token; returns the response."""
    token = csrf_token(client)
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})


class StaffClient:
    """A test client signed in as one role, which adds the CSRF token to its POSTs."""

    def __init__(self, app, role: str, email: str | None = None):
        self.role = role
        self.email = email or f"{role}@peerline.test"
        self.id = make_staff(app, role, self.email)
        self.client = app.test_client()
        response = sign_in(self.client, self.email)
        assert response.status_code == 302, response.status_code
        self.token = csrf_token(self.client, "/staff/")

    def get(self, path, **kwargs):
        """GET as this person."""
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, **kwargs):
        """POST as this person, with the page's CSRF token."""
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)


@pytest.fixture
def staff(app):
    """Factory: staff("moderator") → a signed-in StaffClient."""
    made = {}

    def _make(role: str, email: str | None = None) -> StaffClient:
        key = email or role
        if key not in made:
            made[key] = StaffClient(app, role, email)
        return made[key]
    return _make


from tests.staff.live import browser, live_server  # noqa: E402,F401  (fixtures)
