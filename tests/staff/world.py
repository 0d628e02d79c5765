"""A small world for the authorisation matrix: one object of each kind the staff routes act on."""
from __future__ import annotations

from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.extensions import db
from ivr.staff import accounts


def build(app, facilitator_id: int) -> dict:
    """Create the objects; return the URL values that name them, plus form data per endpoint."""
    from tests.circles.factories import open_circle
    from tests.shares.factories import make_share
    from tests.stories.factories import make_story, make_topic
    with app.app_context():
        target = accounts.create("target@peerline.test", "Target", "a long enough password", "moderator")
        db.session.commit()
        values = {"user_id": target.id}
    topic_id = make_topic(app)
    values["share_id"] = make_share(app, tier="crisis", priority=90)
    values["story_id"] = make_story(app, topic_id=topic_id)
    values["circle_id"] = open_circle(app, facilitator_id)
    with app.app_context():
        from ivr.circles.models import Circle
        session = circles.open_session(db.session.get(Circle, values["circle_id"]))
        values["participant_id"] = circle_roster.admit(session, "CA" + "7" * 32).participant.id
        db.session.commit()
    values["op"] = "mute"
    values["url"] = {"staff.circles.session_action": {"op": "lock"}, "staff.reports.csv_table": {"slug": "calls-per-day"}}
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
        "staff.circles.create": {"number": "9", "name": "Matrix circle", "days": "1", "start_time": "19:00"},
        "staff.circles.assign": {"staff_id": str(facilitator_id), "pin": "123456"},
        "staff.circles.circle_lock": {"locked": "1"},
    }
    return values
