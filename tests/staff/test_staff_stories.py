"""Stories: list, listen, unpublish and publish again, retitle, re-tag — each audited."""
from __future__ import annotations

from sqlalchemy import select

from ivr.extensions import db
from ivr.stories.models import Story
from ivr.staff.models import AuditEntry
from tests.stories.factories import make_story


def _story(app, story_id):
    with app.app_context():
        return db.session.get(Story, story_id)


def _actions(app):
    with app.app_context():
        return [e.action for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_list_and_listen(app, staff):
    sid = make_story(app, "Hope after loss")
    mod = staff("moderator")
    html = mod.get("/staff/stories/").get_data(as_text=True)
    assert "Hope after loss" in html and "published" in html
    audio = mod.get(f"/staff/stories/{sid}/audio")
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"


def test_unpublish_and_publish_again(app, staff):
    sid = make_story(app)
    mod = staff("moderator")
    assert mod.post(f"/staff/stories/{sid}/unpublish").status_code == 302
    assert not _story(app, sid).is_published
    assert "Publish again" in mod.get("/staff/stories/").get_data(as_text=True)
    assert mod.post(f"/staff/stories/{sid}/republish").status_code == 302
    assert _story(app, sid).is_published
    assert _actions(app)[-2:] == ["story.unpublish", "story.republish"]


def test_retitle_and_retag(app, staff):
    sid = make_story(app)
    mod = staff("moderator")
    assert mod.post(f"/staff/stories/{sid}/title", {"title": "  A new title "}).status_code == 302
    assert mod.post(f"/staff/stories/{sid}/note", {"content_note": "suicide"}).status_code == 302
    story = _story(app, sid)
    assert (story.title, story.content_note) == ("A new title", "suicide")
    assert mod.post(f"/staff/stories/{sid}/note", {"content_note": "made-up"}).status_code == 422
    assert mod.post(f"/staff/stories/{sid}/title", {"title": "  "}).status_code == 422
    assert _story(app, sid).content_note == "suicide"
    assert mod.post(f"/staff/stories/{sid}/note", {"content_note": ""}).status_code == 302
    assert _story(app, sid).content_note is None
    assert "story.retitle" in _actions(app) and "story.retag" in _actions(app)


def test_facilitators_see_no_stories(app, staff):
    sid = make_story(app)
    fac = staff("facilitator")
    assert fac.get("/staff/stories/").status_code == 403
    assert fac.get(f"/staff/stories/{sid}/audio").status_code == 403
    assert fac.post(f"/staff/stories/{sid}/unpublish").status_code == 403
    assert _story(app, sid).is_published
