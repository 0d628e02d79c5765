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
    values["form"] = {
        "staff.admin.staff_create": {"email": "new@peerline.test", "name": "New", "role": "moderator",
                                     "password": "a long enough password"},
        "staff.admin.staff_role": {"role": "facilitator"},
        "staff.admin.staff_active": {"active": "0"},
        "staff.admin.staff_password": {"password": "another long password"},
    }
    return values
