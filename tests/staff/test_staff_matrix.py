"""The authorisation matrix: every staff route, by every role and anonymous.

EXPECTED lists each staff endpoint and the roles allowed; a route missing from it fails the suite,
so a new page cannot ship without deciding who may use it.
"""
from __future__ import annotations

import pytest

from tests.staff.conftest import StaffClient, csrf_token
from tests.staff.world import build as build_world

PUBLIC = "public"
ALL = frozenset({"admin", "moderator", "facilitator"})
ADMIN = frozenset({"admin"})
MODERATION = frozenset({"admin", "moderator"})
RUNNERS = frozenset({"admin", "facilitator"})  # facilitators: their own circles only (see test_staff_circles)

EXPECTED: dict[str, object] = {
    "staff.auth.login": PUBLIC,
    "staff.auth.logout": ALL,
    "staff.auth.home": ALL,
    "staff.admin.staff_list": ADMIN,
    "staff.admin.staff_create": ADMIN,
    "staff.admin.staff_role": ADMIN,
    "staff.admin.staff_active": ADMIN,
    "staff.admin.staff_unlock": ADMIN,
    "staff.admin.staff_password": ADMIN,
    "staff.admin.audit_log": ADMIN,
    "staff.moderation.queue": MODERATION,
    "staff.moderation.detail": MODERATION,
    "staff.moderation.audio": MODERATION,
    "staff.moderation.preview": MODERATION,
    "staff.moderation.publish": MODERATION,
    "staff.moderation.keep_private": MODERATION,
    "staff.moderation.deliver_reply": MODERATION,
    "staff.moderation.reject": MODERATION,
    "staff.moderation.follow_up": MODERATION,
    "staff.moderation.set_tier": MODERATION,
    "staff.moderation.retry": MODERATION,
    "staff.stories.index": MODERATION,
    "staff.stories.audio": MODERATION,
    "staff.stories.unpublish": MODERATION,
    "staff.stories.republish": MODERATION,
    "staff.stories.retitle": MODERATION,
    "staff.stories.retag": MODERATION,
    "staff.circles.index": RUNNERS,
    "staff.circles.create": ADMIN,
    "staff.circles.detail": RUNNERS,
    "staff.circles.update": ADMIN,
    "staff.circles.assign": ADMIN,
    "staff.circles.circle_lock": ADMIN,
    "staff.circles.console": RUNNERS,
    "staff.circles.roster": RUNNERS,
    "staff.circles.name_recording": RUNNERS,
    "staff.circles.participant_action": RUNNERS,
    "staff.circles.session_action": RUNNERS,
    "staff.circles.console_start": RUNNERS,
    "staff.reports.index": MODERATION,
    "staff.reports.csv_table": MODERATION,
}


def staff_rules(app):
    """(endpoint, rule, method) for every staff route and method."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and rule.endpoint != "staff.static":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, rule, method


def test_every_staff_route_is_in_the_matrix(app):
    assert {endpoint for endpoint, _, _ in staff_rules(app)} == set(EXPECTED)


def _url(app, rule, values):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_route_by_every_role(app, endpoint):
    allowed = EXPECTED[endpoint]
    rules = [(rule, method) for ep, rule, method in staff_rules(app) if ep == endpoint]
    assert rules, endpoint
    people = {role: StaffClient(app, role, f"matrix-{role}@peerline.test") for role in ("facilitator", "moderator", "admin")}
    world = build_world(app, facilitator_id=people["facilitator"].id)
    for rule, method in rules:
        url = _url(app, rule, {**world, **world.get("url", {}).get(endpoint, {})})
        # Anonymous: sent to sign in, never shown the page.
        anon = app.test_client()
        data = {"csrf_token": csrf_token(anon)} if method == "POST" else None
        response = anon.open(url, method=method, data=data)
        if allowed == PUBLIC:
            assert response.status_code in (200, 302, 400, 401), (endpoint, method, response.status_code)
            continue
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (endpoint, method)
        for role in ("facilitator", "moderator", "admin"):
            person = people[role]
            response = person.post(url, data=world.get("form", {}).get(endpoint)) if method == "POST" else person.get(url)
            if role in allowed:
                assert response.status_code not in (401, 403), (endpoint, method, role, response.status_code)
                if endpoint != "staff.auth.logout":  # signing out rightly ends at the sign-in page
                    assert "/staff/login" not in response.headers.get("Location", ""), (endpoint, method, role)
                assert response.status_code < 500
            else:
                assert response.status_code == 403, (endpoint, method, role, response.status_code)


def test_a_facilitator_reaches_no_route_of_a_circle_not_theirs(app):
    """Every circle-scoped route answers 404 to a facilitator of another circle (its existence stays hidden)."""
    owner = StaffClient(app, "facilitator", "owner@peerline.test")
    stranger = StaffClient(app, "facilitator", "stranger@peerline.test")
    world = build_world(app, facilitator_id=owner.id)
    checked = 0
    for endpoint, rule, method in staff_rules(app):
        if not endpoint.startswith("staff.circles.") or "circle_id" not in rule.arguments:
            continue
        if EXPECTED[endpoint] != RUNNERS:
            continue
        url = _url(app, rule, {**world, **world.get("url", {}).get(endpoint, {})})
        response = stranger.post(url) if method == "POST" else stranger.get(url)
        assert response.status_code == 404, (endpoint, method, response.status_code)
        checked += 1
    assert checked >= 6


def test_facilitators_reach_no_share_or_story(app):
    """Every moderation and story route refuses a facilitator."""
    person = StaffClient(app, "facilitator", "f@peerline.test")
    world = build_world(app, facilitator_id=person.id)
    for endpoint, rule, method in staff_rules(app):
        if endpoint.startswith(("staff.moderation.", "staff.stories.")):
            url = _url(app, rule, world)
            response = person.post(url) if method == "POST" else person.get(url)
            assert response.status_code == 403 and b"RIFF" not in response.data, (endpoint, method)
