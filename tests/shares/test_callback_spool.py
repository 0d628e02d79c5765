"""A recording callback that cannot reach the database is spooled and replayed: never lost."""
import json

from sqlalchemy.exc import OperationalError

from ivr.shares import spool as callback_spool
from ivr.shares import domain as shares
from tests.shares.test_shares_calls import (app_config, caller, queued_jobs, recording_callback, shares_in, start_recording, the_record)


def test_database_outage_spools_the_callback_and_the_sweep_replays_it(twilio, app, caller, monkeypatch):  # noqa: F811
    _, draft_id = the_record(start_recording(twilio))
    real = shares.receive_from_callback

    def database_down(*args, **kwargs):
        raise OperationalError("INSERT INTO shares", {}, Exception("connection refused"))

    monkeypatch.setattr(shares, "receive_from_callback", database_down)
    recording_callback(twilio, draft_id, rec="RE77", duration="31")  # still a 204 to Twilio
    assert shares_in(app) == []
    with app.app_context():
        spooled = list(callback_spool.spool_dir().glob("*.json"))
    assert [p.name for p in spooled] == ["RE77.json"]
    record = json.loads(spooled[0].read_text())
    assert record["form"]["RecordingSid"] == "RE77" and "From" not in record["form"]

    monkeypatch.setattr(shares, "receive_from_callback", real)
    with app.app_context():
        assert callback_spool.replay() == 1
        assert callback_spool.replay() == 0  # the spool is empty afterwards
    rows = shares_in(app)
    assert [(s.recording_sid, s.status, s.duration_s) for s in rows] == [("RE77", "received", 31)]
    assert any("RE77" in job_id for job_id in queued_jobs(app))


def test_failure_to_spool_is_a_500_not_a_silent_204(twilio, app, caller, monkeypatch):  # noqa: F811
    _, draft_id = the_record(start_recording(twilio))

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("down"))

    def disk_full(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(shares, "receive_from_callback", broken)
    monkeypatch.setattr(callback_spool, "spool", disk_full)
    r = twilio.post(f"/voice/shares/recording?d={draft_id}", {
        "CallSid": "CA1", "RecordingSid": "RE78", "RecordingStatus": "completed",
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE78", "RecordingDuration": "5"})
    assert r.status_code == 500


def test_the_sweep_replays_the_spool(twilio, app, caller, monkeypatch):  # noqa: F811
    from workers import sweep
    _, draft_id = the_record(start_recording(twilio))

    def database_down(*args, **kwargs):
        raise OperationalError("INSERT INTO shares", {}, Exception("connection refused"))

    with monkeypatch.context() as patch:
        patch.setattr(shares, "receive_from_callback", database_down)
        recording_callback(twilio, draft_id, rec="RE79", duration="12")
    assert shares_in(app) == []
    with app.app_context():
        report = sweep.run()
    assert report.replayed_callbacks == 1 and "spooled callbacks replayed 1" in report.summary()
    assert [(s.recording_sid, s.status) for s in shares_in(app)] == [("RE79", "received")]
