"""Plain words on staff pages: every state, tier and failure reason has a label, and pages use them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr import audio
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import SHARE_STATUSES
from ivr.staff import labels
from tests.shares.factories import make_share
from tests.stories.factories import make_story, make_topic

ROOT = Path(__file__).resolve().parents[2]


def test_every_share_state_and_screening_tier_has_a_label():
    from workers.screening.types import Tier
    assert set(SHARE_STATUSES) <= set(labels.SHARE_STATES)
    assert {t.label for t in Tier} <= set(labels.TIERS)
    for value in SHARE_STATUSES:
        assert "_" not in labels.share_state(value)
    for t in Tier:
        assert labels.tier(t.label)[0].isupper() and "_" not in labels.tier(t.label)


def _assigned_states(path: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, (ROOT / path).read_text()))


def test_every_circle_meeting_and_reminder_state_in_the_code_has_a_label():
    session_states = _assigned_states("ivr/circles/domain.py", r'session\.status\s*=\s*"(\w+)"') | {"waiting"}
    assert session_states and session_states <= set(labels.SESSION_STATES)
    reminder_states = (_assigned_states("ivr/circles/reminders.py", r'\.status\s*=\s*"(\w+)"')
                       | _assigned_states("ivr/circles/reminders.py", r'status="(\w+)"'))
    assert {"pending", "sent", "failed", "opted_out"} <= reminder_states <= set(labels.REMINDER_STATES)
    from ivr.stories import domain as stories
    assert set(stories.CONTENT_NOTES) <= set(labels.CONTENT_NOTES)


def _reasons_from_their_sources(app) -> list[str]:
    """Failure and 'needs listening' reasons, made by the code that writes them wherever it can be run."""
    from workers import screen
    from workers import share_pipeline as jobs
    made = []
    with app.app_context():
        for status, code in (("absent", None), ("failed", "31000")):
            share = shares.receive_from_callback(None, {"RecordingSid": f"RE{status:0>32}", "RecordingStatus": status,
                                                        "ErrorCode": code, "CallSid": "CA" + "9" * 32})
            made.append(share.failure_reason)
        db.session.rollback()
    for bad in (b"", b"garbage", b"RIFF\x00\x00\x00\x00WAVE"):
        with pytest.raises(audio.AudioError) as caught:
            audio.decode(bad, max_duration_s=100)
        made.append(f"processing failed: {caught.value}")
    with pytest.raises(jobs.NoModelForLanguage) as caught:
        jobs._transcribe({}, "xx", None)
    made.append(str(caught.value))
    with pytest.raises(jobs.NoWordLists) as caught:
        jobs._screen({"SCREEN_MIN_CONFIDENCE": None}, None, "xx")
    made.append(str(caught.value))
    from workers.screening.types import Token
    low = [Token(f"w{i}", f"w{i}", 0.2, i, i + 0.5, i) for i in range(6)]
    made += screen._listening_reasons(None, [], [], 0.5, 0.4)
    made += screen._listening_reasons({"words": []}, [], [], 0.5, 0.4)
    made += screen._listening_reasons({"words": low}, low, [], 0.5, 0.4)
    # Messages built inside workers.share_pipeline and ivr.telephony from their own f-strings.
    made += ["processing failed: 3 attempts never finished",
             "processing failed: the recording could not be found at Twilio",
             "processing failed: could not fetch the recording from Twilio: fetch recording: ConnectionError",
             "processing failed: could not fetch the recording from Twilio: fetch recording: HTTP 503",
             "processing failed: storage unavailable: [Errno 28] No space left on device",
             "processing failed: the stored copy did not decode: not a RIFF/WAVE file",
             "no speech detected (0 ms above the recording's own level)",
             "risk words were recognised uncertainly: listen to confirm"]
    return made


def test_every_known_failure_reason_is_explained_with_what_to_do(app):
    reasons = _reasons_from_their_sources(app)
    assert len(reasons) >= 15
    for raw in reasons:
        assert labels.is_known_reason(raw), raw
        plain = labels.reason(raw)
        assert plain.what.endswith(".") and plain.todo.endswith("."), raw
        for internal in ("twilio:", "fetch recording:", "processing failed", "_"):
            assert internal not in plain.what, (raw, plain.what)
    assert labels.reason("twilio:failed:31000").what.endswith("(Twilio error 31000).")
    # Issue 13: an undecodable stored copy is fetched again from Twilio, so it is not "damaged for good".
    assert "downloads it again" in labels.reason("processing failed: the stored copy did not decode: corrupt WAV").todo
    assert "Listen" in labels.reason("something new went wrong").todo  # an unknown reason still says what to do


def test_plurals_days_and_waits():
    assert [labels.plural(n, "play") for n in (0, 1, 2)] == ["0 plays", "1 play", "2 plays"]
    assert labels.plural(1, "person", "people") == "1 person" and labels.plural(12, "person", "people") == "12 people"
    assert labels.meeting_days("0,1,2,3,4,5,6") == "Every day"
    assert labels.meeting_days("1,3") == "Tuesday and Thursday"
    assert labels.meeting_days("0,2,4") == "Monday, Wednesday and Friday"
    assert labels.meeting_days("0,1,2,3,4") == "Weekdays"


def _page(client, path):
    """The words a person reads on a page (tags and attribute values left out)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_queue_review_stories_and_circles_pages_use_plain_words(app, staff):
    from tests.circles.factories import open_circle
    moderator = staff("moderator")
    listen = make_share(app, tier="needs_listening", priority=25, processed=False)
    with app.app_context():
        shares.mark_needs_listening(listen, "no speech-recognition model for language 'ko'")
        db.session.commit()
    failed = make_share(app, processed=False)
    with app.app_context():
        shares.mark_failed(failed, "processing failed: could not fetch the recording from Twilio: fetch recording: ConnectionError")
        db.session.commit()
    published = make_share(app, tier="clean", priority=0)
    with app.app_context():
        shares.decide(published, "published", actor="staff:1")
        db.session.commit()

    queue = _page(moderator.client, "/staff/shares/")
    assert "needs_listening" not in queue and "fetch recording:" not in queue and "ConnectionError" in queue
    assert "Needs listening" in queue and "could not download the recording from Twilio" in queue
    review = _page(moderator.client, f"/staff/shares/{listen}")
    assert "Needs listening" in review and "no speech recognition for this language (ko)" in review
    assert "needs_listening" not in review and "priority 0" not in review  # no rank, so no priority shown
    done = _page(moderator.client, f"/staff/shares/{published}")
    assert "waiting" not in done and "decided after" in done and "Published to the library" in done

    story = make_story(app, topic_id=make_topic(app, "hope", "1"))
    with app.app_context():
        from ivr.stories import domain as stories
        stories.count_play(story)
        db.session.commit()
    listing = _page(moderator.client, "/staff/stories/")
    assert "1 play ·" in listing and "0 callers said it helped" in listing

    admin = staff("admin")
    open_circle(app)
    circles_page = _page(admin.client, "/staff/circles/")
    assert "Every day" in circles_page and "day(s)" not in circles_page and "up to 12 people" in circles_page
