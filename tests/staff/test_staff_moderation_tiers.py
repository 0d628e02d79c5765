"""A moderator can always act: set the tier after listening, follow up and retry, on every share.

A share with no transcript waits in "needs listening" (oldest first, with a plain-words reason);
raising it to crisis texts the on-call moderator through the same path screening uses, once.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import OncallAlert
from ivr.shares.models import Share
from ivr.staff.models import AuditEntry
from tests.shares.factories import make_share
from workers.screening.types import Tier

NO_MODEL = "no speech-recognition model for language 'ko'"
ONCALL = "+15550100111"


@pytest.fixture
def app_config():
    return {"ONCALL_NUMBER": ONCALL}


def unheard(app, language: str = "ko", reason: str = NO_MODEL, minutes_ago: int = 0) -> int:
    """A share processing could not rank, stored the way the worker's listen() stores it."""
    sid = make_share(app, language=language, processed=False)
    with app.app_context():
        shares.mark_processing(sid)
        shares.record_processing_result(sid, tier="needs_listening", priority=25, needs_listening=True,
                                        reasons=[reason], original_key=None)
        share = db.session.get(Share, sid)
        share.queued_at = share.queued_at - timedelta(minutes=minutes_ago)
        share.created_at = share.created_at - timedelta(minutes=minutes_ago)
        db.session.commit()
    return sid


def _order(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-share="(\d+)"', html)]


def test_a_moderator_raises_a_needs_listening_share_to_crisis_and_on_call_is_texted_once(app, staff, sim):
    sid = unheard(app)
    mod = staff("moderator")
    page = mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert 'id="tier-form"' in page and 'action="/staff/shares/%d/follow-up"' % sid in page
    assert "No transcript: listen to the recording." in page

    response = mod.post(f"/staff/shares/{sid}/tier", data={"tier": "crisis"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Tier set to crisis. The on-call moderator has been texted." in response.get_data(as_text=True)

    assert len(sim.outbox) == 1
    message = sim.outbox[0]
    print(f"\nSMS to {message['to']}: {message['body']}")
    with app.app_context():
        share = db.session.get(Share, sid)
        assert (share.status, share.tier, share.priority) == ("queued", "crisis", 80)
        assert share.tier_set_by == f"staff:{mod.id}" and share.tier_set_at is not None
        assert message["to"] == ONCALL and share.reference in message["body"] and "crisis" in message["body"]
        alert = db.session.execute(select(OncallAlert).filter_by(share_id=sid)).scalar_one()
        assert alert.status == "sent" and alert.message_sid == message["sid"]
        entry = db.session.execute(select(AuditEntry).filter_by(action="share.set_tier")).scalar_one()
        assert entry.detail == "needs_listening->crisis" and entry.object_id == str(sid)
        assert shares.queue()[0].id == sid

    # Lowered and raised again, or raised twice: still one text.
    mod.post(f"/staff/shares/{sid}/tier", data={"tier": "high"})
    mod.post(f"/staff/shares/{sid}/tier", data={"tier": "crisis"})
    assert len(sim.outbox) == 1


def test_raising_a_share_screening_already_alerted_about_sends_nothing_more(app, staff, sim):
    sid = make_share(app, tier="crisis", priority=92)
    with app.app_context():
        from ivr.shares import oncall
        oncall.alert(sid)  # what the worker did when screening ranked it crisis
    assert len(sim.outbox) == 1
    staff("moderator").post(f"/staff/shares/{sid}/tier", data={"tier": "crisis"})
    assert len(sim.outbox) == 1


def test_setting_a_lower_tier_ranks_the_share_and_texts_nobody(app, staff, sim):
    sid = unheard(app)
    staff("moderator").post(f"/staff/shares/{sid}/tier", data={"tier": "clean"})
    with app.app_context():
        share = db.session.get(Share, sid)
        assert (share.status, share.tier, share.priority) == ("queued", "clean", 0)
    assert sim.outbox == []


@pytest.mark.parametrize("role, tier, status", [("moderator", "urgent", 422), ("facilitator", "crisis", 403)],
                         ids=["unknown-tier", "not-a-moderator"])
def test_a_tier_change_is_refused_for_an_unknown_tier_or_a_non_moderator(app, staff, sim, role, tier, status):
    sid = unheard(app)
    assert staff(role).post(f"/staff/shares/{sid}/tier", data={"tier": tier}).status_code == status
    with app.app_context():
        assert db.session.get(Share, sid).tier == "needs_listening"
    assert sim.outbox == []


def test_needs_listening_shares_wait_oldest_first_behind_only_the_urgent_and_say_why(app, staff):
    low = make_share(app, tier="personal_details", priority=15)
    newer = unheard(app, minutes_ago=5)
    older = unheard(app, language="es", reason="processing failed: the recording could not be found at Twilio",
                    minutes_ago=50)
    high = make_share(app, tier="high", priority=65)
    html = staff("moderator").get("/staff/shares/").get_data(as_text=True)
    assert _order(html) == [high, older, newer, low]
    assert "No transcript: Peerline has no speech recognition for this language (ko). Listen to the recording and decide." in html
    assert "The recording was no longer at Twilio and Peerline never stored a copy." in html


def test_follow_up_is_offered_and_recorded_on_a_share_of_any_tier(app, staff):
    sid = make_share(app, tier="clean", priority=0)
    mod = staff("moderator")
    assert 'action="/staff/shares/%d/follow-up"' % sid in mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    mod.post(f"/staff/shares/{sid}/follow-up", data={"note": "called the crisis line with them"})
    with app.app_context():
        share = db.session.get(Share, sid)
        assert share.followed_up_at is not None and share.follow_up_note == "called the crisis line with them"


def test_retry_runs_processing_again_for_a_failed_share(app, staff):
    sid = make_share(app)
    with app.app_context():
        shares.mark_failed(sid, "processing failed: Vosk crashed")
        db.session.get(Share, sid).attempts = 4
        db.session.commit()
    mod = staff("moderator")
    assert 'id="retry-form"' in mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    response = mod.post(f"/staff/shares/{sid}/retry")
    assert response.status_code == 302
    with app.app_context():
        share = db.session.get(Share, sid)
        # No English model is configured in tests: the re-run reaches transcription and says so.
        assert share.status == "needs_listening" and share.attempts == 1
        assert any("no speech-recognition model" in r for r in share.reasons)
        assert db.session.execute(select(AuditEntry).filter_by(action="share.retry")).scalar_one().object_id == str(sid)


def test_a_moderators_tier_outlives_a_retry(app, staff):
    sid = make_share(app)
    mod = staff("moderator")
    mod.post(f"/staff/shares/{sid}/tier", data={"tier": "high"})
    mod.post(f"/staff/shares/{sid}/retry")
    with app.app_context():
        share = db.session.get(Share, sid)
        assert (share.status, share.tier, share.priority) == ("queued", "high", 60)
        assert any("no speech-recognition model" in r for r in share.reasons)


def test_a_moderators_retry_and_the_sweeps_backoff_are_one_retry(app, staff):
    """Issue 13's sweep retry and this Retry button share ivr.shares.retry_processing: a Retry
    clears the pending backoff, so the sweep does not run the same share again."""
    from ivr.models.base import utcnow
    from ivr.shares.models import ShareAudit
    from workers import sweep
    sid = make_share(app)
    with app.app_context():
        shares.mark_needs_listening(sid, "processing failed: could not store the recording: disk full")
        db.session.get(Share, sid).retry_after = utcnow() + timedelta(minutes=5)
        db.session.commit()
    mod = staff("moderator")
    assert 'id="retry-form"' in mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert mod.post(f"/staff/shares/{sid}/retry").status_code == 302
    with app.app_context():
        share = db.session.get(Share, sid)
        assert share.retry_after is None and share.attempts == 1  # ran once, from fresh attempts
        actors = db.session.execute(select(ShareAudit.actor).filter_by(share_id=sid, action="retried")).scalars().all()
        assert len(actors) == 1 and actors[0].startswith("staff:")
        assert sweep.run(now=utcnow() + timedelta(hours=1)).retried == []


def test_retry_is_refused_when_twilio_never_had_a_recording(app, staff):
    sid = make_share(app, processed=False)
    with app.app_context():
        shares.mark_failed(sid, "twilio:absent")
        db.session.commit()
    mod = staff("moderator")
    page = mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert 'id="retry-form"' not in page and 'id="tier-form"' in page
    assert mod.post(f"/staff/shares/{sid}/retry").status_code == 409


def test_the_tiers_moderators_set_match_the_screening_bands():
    assert {name: Tier[name.upper()].floor for name in shares.MODERATOR_TIERS} == shares.MODERATOR_TIERS
