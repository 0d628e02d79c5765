"""A small world for the authorisation matrix: one object of each kind the staff routes act on."""
from __future__ import annotations

from ivr.extensions import db
from ivr.staff import accounts


def build(app) -> dict:
    """Create the objects; return the URL values that name them, plus form data per endpoint."""
    with app.app_context():
        target = accounts.create("target@peerline.test", "Target", "a long enough password", "moderator")
        db.session.commit()
        values = {"user_id": target.id}
    from tests.staff.factories import make_share, make_story, make_topic
    topic_id = make_topic(app)
    values["share_id"] = make_share(app, tier="crisis", priority=90)
    values["story_id"] = make_story(app, topic_id=topic_id)
    values["form"] = {
        "staff.admin.staff_create": {"email": "new@peerline.test", "name": "New", "role": "moderator",
                                     "password": "a long enough password"},
        "staff.admin.staff_role": {"role": "facilitator"},
        "staff.admin.staff_active": {"active": "0"},
        "staff.admin.staff_password": {"password": "another long password"},
        "staff.moderation.preview": {"bleep": "3"},
        "staff.moderation.publish": {"bleep": "3", "topic_id": str(topic_id), "title": "Matrix"},
        "staff.moderation.follow_up": {"note": "called back"},
        "staff.stories.retitle": {"title": "Retitled"},
        "staff.stories.retag": {"content_note": "loss"},
    }
    return values
