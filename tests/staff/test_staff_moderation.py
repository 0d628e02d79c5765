"""Moderation: the queue, share review, audio for staff only, bleep preview and every decision."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import numpy as np
from pydub import AudioSegment
from sqlalchemy import select

from ivr.extensions import db
from ivr.shares.models import Share
from ivr.stories.models import Story
from ivr.staff.models import AuditEntry
from ivr.storage import storage
from tests.shares.factories import SENTENCE, make_share, speech_wav
from tests.stories.factories import make_topic

LOUD = speech_wav("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen")


def tone_share(wav: bytes, start: float, end: float, hz: float = 1000.0) -> float:
    """Fraction of the span's spectral energy within 40 Hz of `hz`."""
    seg = AudioSegment.from_file(io.BytesIO(wav), format="wav").set_channels(1)
    samples = np.array(seg.get_array_of_samples(), dtype=float)
    part = samples[int(start * seg.frame_rate):int(end * seg.frame_rate)]
    spectrum = np.abs(np.fft.rfft(part)) ** 2
    freqs = np.fft.rfftfreq(len(part), 1 / seg.frame_rate)
    return float(spectrum[np.abs(freqs - hz) < 40].sum() / max(spectrum.sum(), 1e-9))


def _age(app, share_id, minutes):
    with app.app_context():
        share = db.session.get(Share, share_id)
        share.queued_at = share.queued_at - timedelta(minutes=minutes)
        share.created_at = share.created_at - timedelta(minutes=minutes)
        db.session.commit()


def test_queue_orders_by_priority_then_age_and_shows_the_longest_wait(app, staff):
    low_old = make_share(app, tier="personal_details", priority=15)
    crisis = make_share(app, tier="crisis", priority=90)
    low_new = make_share(app, tier="personal_details", priority=15)
    _age(app, low_old, 125)
    _age(app, low_new, 3)
    page = staff("moderator").get("/staff/shares/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    order = [int(x) for x in re.findall(r'data-share="(\d+)"', html)]
    assert order == [crisis, low_old, low_new]
    longest = re.search(r'id="longest-wait".*?<strong>(.*?)</strong>', html, re.S).group(1)
    assert longest == "2 h 5 min"
    assert 'badge crisis' in html and "a first name" in html


def test_queue_filters(app, staff):
    make_share(app, tier="crisis", priority=90)
    es = make_share(app, tier="personal_details", language="es")
    html = staff("moderator").get("/staff/shares/?language=es").get_data(as_text=True)
    assert [int(x) for x in re.findall(r'data-share="(\d+)"', html)] == [es]
    html = staff("moderator").get("/staff/shares/?tier=abuse").get_data(as_text=True)
    assert "Nothing waiting with these filters" in html


def test_review_shows_words_confidence_flags_and_consent(app, staff):
    sid = make_share(app, consent="private")
    html = staff("moderator").get(f"/staff/shares/{sid}").get_data(as_text=True)
    words = re.findall(r'<button type="button" class="w([^"]*)" data-i="(\d+)" data-start="([\d.]+)"', html)
    assert len(words) == len(SENTENCE.split())
    classes = {int(i): cls for cls, i, _ in words}
    assert "low" in classes[5] and "low" not in classes[4]
    assert "flagged" in classes[3] and "bleep" in classes[3]  # the name: flagged personal, bleeped by default
    assert "can never be published" in html
    assert 'id="publish-form"' not in html  # no publish control for a private share


def test_original_audio_is_streamed_to_moderators_with_seeking(app, staff):
    sid = make_share(app)
    mod = staff("moderator")
    full = mod.get(f"/staff/shares/{sid}/audio")
    assert full.status_code == 200 and full.data[:4] == b"RIFF" and full.mimetype == "audio/wav"
    part = mod.get(f"/staff/shares/{sid}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.data) == 100 and part.data == full.data[100:200]
    with app.app_context():
        listens = db.session.execute(select(AuditEntry).filter_by(action="share.listen")).scalars().all()
        assert len(listens) == 1  # the seek is not a new listening


def test_audio_routes_refuse_anyone_not_allowed(app, client, staff):
    sid = make_share(app)
    anon = client.get(f"/staff/shares/{sid}/audio")
    assert anon.status_code == 302 and b"RIFF" not in anon.data
    facilitator = staff("facilitator").get(f"/staff/shares/{sid}/audio")
    assert facilitator.status_code == 403 and b"RIFF" not in facilitator.data
    assert client.get("/staff/stories/1/audio").status_code == 302


def test_preview_bleeps_the_chosen_words_only(app, staff):
    sid = make_share(app, audio=LOUD)
    mod = staff("moderator")
    # Words are 0.4 s apart in the transcript: word 2 spans 0.8–1.12 s, word 8 spans 3.2–3.52 s.
    preview = mod.post(f"/staff/shares/{sid}/preview", {"bleep": "2,8"})
    assert preview.status_code == 200 and preview.data[:4] == b"RIFF"
    original = LOUD
    assert tone_share(preview.data, 0.82, 1.10) > 0.9
    assert tone_share(preview.data, 3.22, 3.50) > 0.9
    assert tone_share(original, 0.82, 1.10) < 0.3
    # Elsewhere the voice is untouched: no tone between the bleeps.
    assert tone_share(preview.data, 1.9, 2.6) < 0.3
    # Nothing chosen: nothing bleeped.
    plain = mod.post(f"/staff/shares/{sid}/preview", {"bleep": ""})
    assert tone_share(plain.data, 0.82, 1.10) < 0.3


def test_publish_makes_a_story_from_the_bleeped_copy(app, staff):
    sid = make_share(app, audio=LOUD)
    topic = make_topic(app)
    mod = staff("moderator")
    response = mod.post(f"/staff/shares/{sid}/publish",
                        {"bleep": "2", "topic_id": topic, "title": "Finding my feet", "content_note": "loss"})
    assert response.status_code == 302
    with app.app_context():
        share = db.session.get(Share, sid)
        story = db.session.execute(select(Story)).scalar_one()
        assert share.status == "published" and share.decided_by == f"staff:{mod.id}"
        assert (story.title, story.content_note, story.topic_id, story.share_id) == ("Finding my feet", "loss", topic, sid)
        assert story.is_published
        audio = storage().get(story.audio_key)
        entry = db.session.execute(select(AuditEntry).filter_by(action="share.publish")).scalar_one()
        assert entry.object_id == str(sid) and entry.detail == f"story={story.id} bleeps=1" and entry.staff_id == mod.id
    assert tone_share(audio, 0.82, 1.10) > 0.9


def test_a_private_share_can_never_be_published(app, staff):
    sid = make_share(app, consent="private")
    topic = make_topic(app)
    response = staff("moderator").post(f"/staff/shares/{sid}/publish", {"topic_id": topic, "title": "No"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Share, sid).status == "queued"
        assert db.session.execute(select(Story)).first() is None
        assert db.session.execute(select(AuditEntry).filter_by(action="share.publish_refused")).scalar_one()


def test_publish_needs_topic_and_title(app, staff):
    sid = make_share(app)
    response = staff("moderator").post(f"/staff/shares/{sid}/publish", {"title": ""})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Share, sid).status == "queued"


def test_keep_private_and_reject_and_no_second_decision(app, staff):
    kept, rejected = make_share(app), make_share(app)
    mod = staff("moderator")
    assert mod.post(f"/staff/shares/{kept}/keep-private").status_code == 302
    assert mod.post(f"/staff/shares/{rejected}/reject").status_code == 302
    assert mod.post(f"/staff/shares/{kept}/reject").status_code == 409
    with app.app_context():
        assert db.session.get(Share, kept).status == "kept_private"
        assert db.session.get(Share, rejected).status == "rejected"
    html = mod.get("/staff/shares/").get_data(as_text=True)
    assert f'data-share="{kept}"' not in html and f'data-share="{rejected}"' not in html


def test_crisis_share_followed_up_with_a_note_kept_out_of_the_audit_log(app, staff):
    sid = make_share(app, tier="crisis", priority=95)
    mod = staff("moderator")
    assert "Mark followed up" in mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert mod.post(f"/staff/shares/{sid}/follow-up", {"note": ""}).status_code == 422
    assert mod.post(f"/staff/shares/{sid}/follow-up", {"note": "Called the on-call team at 14:05"}).status_code == 302
    with app.app_context():
        share = db.session.get(Share, sid)
        assert share.followed_up_at is not None and share.follow_up_note == "Called the on-call team at 14:05"
        entries = db.session.execute(select(AuditEntry)).scalars().all()
        assert any(e.action == "share.follow_up" for e in entries)
        assert not any("on-call" in (e.detail or "") for e in entries)


def test_audit_log_never_holds_share_content(app, staff):
    sid = make_share(app)
    topic = make_topic(app)
    mod = staff("moderator")
    mod.get(f"/staff/shares/{sid}")
    mod.get(f"/staff/shares/{sid}/audio")
    mod.post(f"/staff/shares/{sid}/preview", {"bleep": "3"})
    mod.post(f"/staff/shares/{sid}/publish", {"bleep": "3", "topic_id": topic, "title": "Robin's way"})
    with app.app_context():
        entries = db.session.execute(select(AuditEntry)).scalars().all()
        actions = {e.action for e in entries}
        assert {"share.view", "share.listen", "share.preview", "share.publish"} <= actions
        text = " ".join(f"{e.action} {e.object_type} {e.object_id} {e.detail}" for e in entries).lower()
        for word in ("robin", "number", "better", "way"):
            assert word not in text


def test_disguised_share_is_published_disguised(app, staff):
    sid = make_share(app, disguise=True, audio=LOUD)
    topic = make_topic(app)
    mod = staff("moderator")
    plain_preview = mod.post(f"/staff/shares/{sid}/preview", {"bleep": ""}).data
    mod.post(f"/staff/shares/{sid}/publish", {"bleep": "", "topic_id": topic, "title": "Disguised"})
    with app.app_context():
        story = db.session.execute(select(Story)).scalar_one()
        published = storage().get(story.audio_key)
    assert published == plain_preview  # the preview is exactly what was published
    original = AudioSegment.from_file(io.BytesIO(LOUD), format="wav").set_frame_rate(16000).set_channels(1)
    shifted = AudioSegment.from_file(io.BytesIO(published), format="wav")
    assert abs(len(shifted) - len(original)) < 50  # length kept, so word times still line up
    a = np.array(original.get_array_of_samples(), dtype=float)
    b = np.array(shifted.get_array_of_samples(), dtype=float)[: len(a)]
    n = min(len(a), len(b))
    corr = np.dot(a[:n], b[:n]) / (np.linalg.norm(a[:n]) * np.linalg.norm(b[:n]))
    assert corr < 0.5  # not the caller's own waveform


def test_gone_share_is_not_found(app, staff):
    sid = make_share(app)
    with app.app_context():
        from ivr.shares import domain as shares
        shares.delete(sid)
        db.session.commit()
    mod = staff("moderator")
    assert mod.get(f"/staff/shares/{sid}").status_code == 404
    assert mod.get(f"/staff/shares/{sid}/audio").status_code == 404


def test_start_page_shows_the_longest_wait_to_moderators_only(app, staff):
    sid = make_share(app)
    _age(app, sid, 42)
    html = staff("moderator").get("/staff/").get_data(as_text=True)
    assert re.search(r'id="longest-wait".*?<strong>42 min</strong>', html, re.S)
    assert 'id="longest-wait"' not in staff("facilitator").get("/staff/").get_data(as_text=True)


def test_a_share_that_failed_processing_is_shown_and_can_be_rejected(app, staff):
    sid = make_share(app, processed=False)
    with app.app_context():
        from ivr.shares import domain as shares
        shares.mark_failed(sid, "twilio:absent")
        db.session.commit()
    mod = staff("moderator")
    queue = mod.get("/staff/shares/").get_data(as_text=True)
    assert "twilio:absent" not in queue and "Twilio made no recording" in queue  # plain words, and what to do
    html = mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert 'id="original"' not in html and "No transcript" in html
    assert mod.get(f"/staff/shares/{sid}/audio").status_code == 404
    assert mod.post(f"/staff/shares/{sid}/reject").status_code == 302
    with app.app_context():
        assert db.session.get(Share, sid).status == "rejected"


def test_profanity_and_listening_reasons_are_shown_as_flags(app, staff):
    from tests.shares.factories import screening_for
    screening = screening_for()
    screening["profanity"] = [{"word": "damn", "index": 9, "start_s": 3.6, "end_s": 3.9}]
    screening["listening_reasons"] = ["low recognition confidence"]
    sid = make_share(app, screening=screening)
    html = staff("moderator").get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert "Swear word (bleep it before publishing): damn" in html
    assert "The transcript is unreliable: most words were recognised with low confidence." in html
    flagged = re.search(r'class="w([^"]*)" data-i="9"', html).group(1)
    assert "flagged" in flagged and "bleep" not in flagged  # a note for the moderator, not bleeped by default


def test_a_share_as_the_workers_leave_it_is_reviewable_and_publishable(app, staff):
    """The real workers' screening and finishing step, then review: the page reads their data shapes."""
    from ivr import audio as worker_audio
    from workers import share_pipeline as jobs
    from workers.screen import screen
    from workers.transcribe import Transcript, Word

    text = "hello my name is maria and my number is five five five oh one two three four thanks"
    words = text.split()
    sid = make_share(app, processed=False, audio=LOUD)
    with app.app_context():
        from ivr.shares import domain as shares
        key = storage().put(f"shares/{sid}/original.wav", LOUD)
        segment = worker_audio.decode(LOUD)
        step = (len(segment) / 1000) / len(words)
        transcript = Transcript.from_words([Word(w, round(i * step, 2), round((i + 0.9) * step, 2), 0.95)
                                            for i, w in enumerate(words)])
        screening = screen(transcript)
        shares.mark_processing(sid)
        db.session.commit()
        jobs.finish(sid, original_key=key, segment=segment, stats=worker_audio.measure(segment),
                    transcript=transcript, screening=screening, duration_s=int(len(segment) / 1000), truncated=False)
        share = db.session.get(Share, sid)
        assert share.status == "queued" and screening.personal_spans
        tier = share.tier
    mod = staff("moderator")
    assert f'data-share="{sid}"' in mod.get("/staff/shares/").get_data(as_text=True)
    html = mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    buttons = re.findall(r'<button type="button" class="w([^"]*)" data-i="(\d+)"', html)
    assert len(buttons) == len(words)
    bleeped = [words[int(i)] for cls, i in buttons if "bleep" in cls]
    assert "maria" in bleeped and "five" in bleeped and "hello" not in bleeped
    assert f"badge {tier}" in html
    topic = make_topic(app)
    chosen = ",".join(i for cls, i in buttons if "bleep" in cls)
    assert mod.post(f"/staff/shares/{sid}/publish", {"bleep": chosen, "topic_id": topic, "title": "Hello"}).status_code == 302
    with app.app_context():
        assert db.session.get(Share, sid).status == "published"
