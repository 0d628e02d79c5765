"""`peerline staff create` makes the first admin."""
from sqlalchemy import select

from ivr.extensions import db
from ivr.staff.models import AuditEntry, StaffUser
from tests.staff.conftest import sign_in


def test_staff_create_makes_an_admin_who_can_sign_in(app, runner, client):
    result = runner.invoke(args=["staff", "create", "--email", "first@peerline.test", "--name", "First",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created admin first@peerline.test" in result.output
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert user.role == "admin" and user.active
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        assert (entry.action, entry.actor, entry.detail) == ("staff.create", "(system)", "role=admin")
    assert sign_in(client, "first@peerline.test", "a long enough password").status_code == 302
    assert client.get("/staff/admin/staff").status_code == 200


def test_staff_create_prompts_for_a_hidden_password(app, runner):
    result = runner.invoke(args=["staff", "create", "--email", "a@peerline.test", "--name", "A"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output


def test_staff_create_refuses_short_passwords_and_duplicates(app, runner):
    short = runner.invoke(args=["staff", "create", "--email", "a@peerline.test", "--name", "A", "--password", "short"])
    assert short.exit_code != 0 and "at least 12" in short.output
    ok = ["staff", "create", "--email", "a@peerline.test", "--name", "A", "--password", "a long enough password"]
    assert runner.invoke(args=ok).exit_code == 0
    again = runner.invoke(args=ok)
    assert again.exit_code != 0 and "already exists" in again.output
