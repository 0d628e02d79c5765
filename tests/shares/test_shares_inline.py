"""With no Redis, jobs run in-process: a kept share is fetched, stored and queued for moderators
during Twilio's recording callback, and deleting it by phone removes every stored copy."""
from sqlalchemy import select

from ivr.extensions import db
from ivr.shares.models import Share
from ivr.storage import storage
from tests.stories.factories import NUMBER, returning_caller, spoken_wav


def test_share_is_processed_inline_then_deleted_by_phone(phone, app, sim):
    assert not app.config["REDIS_URL"]
    returning_caller(app)
    call = phone(NUMBER)
    call.press("3")
    call.press("2")
    call.press("1")
    call.record(spoken_wav("I want to tell you about the day things started to get better for me."), finish_key="#")
    call.press("2")
    with app.app_context():
        share = db.session.execute(select(Share)).scalar_one()
        # ranked or sent to a human, never dropped, never published by a machine
        assert share.status in ("queued", "needs_listening")
        assert share.original_key and storage().exists(share.original_key)
        assert share.twilio_deleted
        keys, share_id = share.storage_keys(), share.id
    assert sim.recordings.get(share.recording_sid) is None  # Twilio's copy is gone once ours is stored
    call.press("9")  # options
    call.press("3")  # your shares
    call.press("2")  # delete
    call.press("1")  # confirm
    assert "Your message is deleted." in call.heard()
    with app.app_context():
        share = db.session.get(Share, share_id)
        assert share.status == "deleted" and share.transcript is None
        assert not any(storage().exists(k) for k in keys)
    call.hangup()
    assert not sim.errors


def test_discard_deletes_twilios_copy_inline(phone, app, sim):
    returning_caller(app)
    call = phone(NUMBER)
    call.press("3")
    call.press("1")  # moderators only
    call.record(spoken_wav("Actually, I do not want to leave this."), finish_key="#")
    call.press("4")  # discard
    assert "Your recording is deleted" in call.heard()
    with app.app_context():
        share = db.session.execute(select(Share)).scalar_one()
        assert share.status == "discarded" and share.twilio_deleted and share.original_key is None
        sid = share.recording_sid
        share_dir = storage().root / "shares" / str(share.id)
        assert not share_dir.exists() or not any(p.is_file() for p in share_dir.rglob("*"))
    assert sim.recordings.get(sid) is None  # deleted through the REST API, as Twilio's would be
    assert not sim.errors
