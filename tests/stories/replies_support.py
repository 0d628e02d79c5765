"""Helpers for the replies tests: a storyteller whose share became a story, replies left through the
phone simulator, the worker's processing and a moderator passing a reply on, and readable transcripts."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from ivr.shares import domain as shares
from ivr.stories import domain as stories
from ivr.extensions import db
from ivr.shares.models import Share
from ivr.stories.models import Story
from tests.stories.factories import add_topic, returning_caller, spoken_wav

STORYTELLER = "+15550107001"
LISTENER = "+15550107002"
THIRD = "+15550107003"
STORY_TITLE = "A story about asking for help"
STORY_TEXT = "I was scared to call anyone. When I finally did, a friend listened, and I felt lighter."
REPLY_TEXT = "Thank you for your story. I called my sister today because of you."


def storyteller_story(app, *, number: str = STORYTELLER, language: str = "en", pin: str | None = None) -> dict:
    """A storyteller (known by caller ID, or by reference and PIN when `number` is None) whose share is a story."""
    caller_id = returning_caller(app, number, language=language) if number else None
    with app.app_context():
        topic = add_topic()
        audio = spoken_wav(STORY_TEXT).read_bytes()
        share = shares.receive_recording(
            "RE" + "7" * 32 if number else "RE" + "8" * 32, "CA" + "7" * 32, None, 9, caller_id, language,
            "library", False, pin_hash=shares.hash_pin(pin) if pin else None, enqueue=False)
        share.status = "published"
        story = stories.add_story(topic, STORY_TITLE, language, audio, 9, share_id=share.id)
        story.published_at -= timedelta(minutes=5)
        db.session.commit()
        return {"story": story.id, "share": share.id, "reference": share.reference, "topic_key": topic.key}


def reply_rows(app) -> list[Share]:
    """Every reply share, oldest first, detached for reading."""
    with app.app_context():
        rows = db.session.execute(select(Share).filter_by(is_reply=True).order_by(Share.id)).scalars().all()
        db.session.expunge_all()
        return rows


def story_row(app, story_id: int) -> Story:
    """A story, detached for reading."""
    with app.app_context():
        story = db.session.get(Story, story_id)
        db.session.expunge_all()
        return story


def to_the_story(call, topic_key: str = "2") -> None:
    """Main menu -> stories -> the topic: the (only) story plays."""
    call.press("1")
    call.press(topic_key)


def leave_reply(call, *, audience: str = "1", voice: str = "2", text: str = REPLY_TEXT, pin: str | None = None) -> None:
    """From a story just heard: 7, who may hear it, the voice question, record, keep."""
    call.press("7")
    call.press(audience)
    call.press(voice)
    if pin:
        call.press(pin)
    assert call.waiting.kind == "record" and call.waiting.spec["maxLength"] == 90
    call.record(spoken_wav(text), finish_key="#")
    call.press("2")  # keep


def process(app, share_id: int) -> str:
    """The worker's job, run here: fetch from Twilio (the simulator), store, decode; no English model."""
    from workers import share_pipeline as jobs
    with app.app_context():
        jobs.process_share(share_id)
        return shares.get(share_id).status


def crisis_processing(app, share_id: int, text: str) -> str:
    """The worker's last steps on the reply's real stored audio with a transcript we choose (screened for real)."""
    from ivr import audio
    from ivr.storage import storage
    from workers import share_pipeline as jobs
    from workers.screen import screen
    from workers.transcribe import Transcript, Word
    with app.app_context():
        share = shares.get(share_id)
        segment = audio.decode(storage().get(share.original_key))
        seconds = len(segment) / 1000.0
        words = text.split()
        step = seconds / len(words)
        transcript = Transcript.from_words([Word(w, i * step, (i + 0.9) * step, 0.95) for i, w in enumerate(words)])
        screening = screen(transcript)
        shares.mark_processing(share_id)
        db.session.commit()
        outcome = jobs.finish(share_id, original_key=share.original_key, segment=segment, stats=audio.measure(segment),
                              transcript=transcript, screening=screening, duration_s=int(seconds), truncated=False)
        return f"{outcome.status} {screening.tier.label}"


_REFERENCE = re.compile(r"\b\d(?:, \d){5}\b")


def transcript(call) -> str:
    """The call as a readable golden transcript: audio named by kind, reference numbers masked."""
    lines = []
    for entry in call.transcript:
        if entry.kind == "play":
            kind = "reply" if "/audio/replies/" in entry.text else "story" if "/audio/stories/" in entry.text else "recording"
            lines.append(f"[play {kind} audio]")
        elif entry.kind == "record":
            lines.append(entry.line().split(" from ")[0] + "]")
        elif entry.kind in ("say", "press", "speech", "beep", "hangup", "silence"):
            lines.append(_REFERENCE.sub("<reference>", entry.line()))
    return "\n".join(lines)


_made = [0]


def delivered_reply(app, story_id: int, *, audience: str = "everyone", language: str = "en",
                    text: str = REPLY_TEXT) -> int:
    """A reply already processed and passed on by a moderator (to everyone, or the storyteller only)."""
    from ivr.stories import replies
    _made[0] += 1
    with app.app_context():
        reply = shares.receive_recording(
            "RE" + format(_made[0], "032d"), "CA" + "9" * 32, None, 4, None, language,
            "library" if audience == "everyone" else "private", False, enqueue=False, reply_to_story_id=story_id)
        replies.deliver(reply, spoken_wav(text).read_bytes(),
                        "published" if audience == "everyone" else "kept_private", "staff:1")
        db.session.commit()
        return reply.id
