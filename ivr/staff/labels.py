"""Plain words for staff pages: every internal state, tier and failure reason as a moderator would say it.

The one place that turns stored values ("needs_listening", "twilio:absent", "fetch recording:
ConnectionError") into sentences. Templates call these through the `labels` global; a test checks
that every share state, screening tier, circle and reminder state and known failure reason has one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from ivr.staff.accounts import aware
from ivr.shares import review

#: Screening tiers (workers.screening.types.Tier labels): short name, and what it means for the moderator.
TIERS: dict[str, tuple[str, str]] = {
    "crisis": ("Crisis", "words about ending their life with a method, a plan or a time. Listen and follow up now."),
    "high": ("High risk", "thoughts of ending their life or of self-harm. Listen soon and decide on a follow-up."),
    "elevated": ("Some concern", "distress or hopelessness, without words about a plan. Listen today."),
    "abuse": ("Abuse or threats", "the caller may be harmed, or may threaten others. Listen before anything else is decided."),
    "needs_listening": ("Needs listening", "the words could not be ranked. Listen to the recording."),
    "personal_details": ("Personal details", "names, numbers or places that must be bleeped before publishing."),
    "clean": ("Nothing flagged", "screening found no risk words. Still listen before publishing."),
}
UNRANKED = ("Not ranked yet", "it has not been transcribed and screened yet.")

#: Every share state (ivr.models.shares.SHARE_STATUSES).
SHARE_STATES: dict[str, str] = {
    "received": "Received, waiting to be processed",
    "processing": "Being transcribed and screened",
    "queued": "Waiting for review",
    "needs_listening": "Waiting for review: needs listening",
    "failed": "Could not be recorded or processed",
    "empty": "Silent recording (kept, never published)",
    "published": "Published to the library",
    "kept_private": "Kept private with moderators",
    "rejected": "Rejected (not published)",
    "discarded": "Discarded by the caller",
    "withdrawn": "Withdrawn by the caller",
    "deleted": "Deleted (audio and transcript removed)",
}
#: A reply's state where it differs from a share's (issue 17: replies are passed on, not published as stories).
REPLY_STATES: dict[str, str] = {
    "published": "Passed on: listeners hear it after the story",
    "kept_private": "Passed on to the storyteller only",
}
#: States in which a share is still waiting for a moderator.
WAITING_STATES = ("queued", "needs_listening", "failed")

#: Circle meetings (CircleSession.status), circles (Circle.status) and reminders (CircleReminder.status).
SESSION_STATES = {"waiting": "Waiting for the facilitator", "live": "Meeting now", "ended": "Ended"}
CIRCLE_STATES = {"active": "Active", "paused": "Paused", "archived": "Archived"}
REMINDER_STATES = {"pending": "Waiting to be sent", "sending": "Being sent", "sent": "Sent",
                   "failed": "Could not be sent", "opted_out": "Caller said no more reminders"}
CONSENTS = {"private": "Private: moderators only", "library": "May be published to the library"}
CONTENT_NOTES = {"self_harm": "self-harm", "suicide": "suicide", "abuse": "abuse",
                 "substance_use": "alcohol or drugs", "violence": "violence", "loss": "loss and grief"}
ROLES = {"admin": "Admin", "moderator": "Moderator", "facilitator": "Facilitator"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Reason:
    """A failure or 'needs listening' reason in plain words: what happened, and what to do next."""

    what: str
    todo: str

    def __str__(self) -> str:
        return f"{self.what} {self.todo}"


LISTEN = "Listen to the recording and decide."
#: (pattern over the stored reason, what happened, what to do next); first match wins.
#: Sources: ivr.shares.receive_from_callback ("twilio:..."), workers.share_pipeline (fetch, decode, model,
#: word lists, give-up), workers.screen._listening_reasons, ivr.telephony and ivr.audio errors.
REASONS: list[tuple[str, str, str]] = [
    (r"twilio:absent", "Twilio made no recording: the caller hung up or stayed silent before recording began.",
     "There is nothing to listen to. Reject it to close it."),
    (r"twilio:failed(?::(?P<code>\w+))?", "Twilio could not save this recording{code}.",
     "There is nothing to listen to. Reject it to close it; if this happens often, check Twilio's error log."),
    (r"no speech-recognition model for language '?(?P<lang>[\w-]+)'?",
     "No transcript: Peerline has no speech recognition for this language ({lang}).", LISTEN),
    (r"no screening word lists for language '?(?P<lang>[\w-]+)'?",
     "Not screened: there are no screening word lists for this language ({lang}).", LISTEN),
    (r"no speech detected", "No speech was heard: the recording seems silent or very quiet.",
     "Listen to check; reject it if it is empty."),
    (r"no transcript: transcription failed", "No transcript: speech recognition did not run or failed.", LISTEN),
    (r"nothing was recognised", "No words were recognised in the recording.", LISTEN),
    (r"low recognition confidence", "The transcript is unreliable: most words were recognised with low confidence.",
     LISTEN),
    (r"(?P<low>\d+) of (?P<total>\d+) words recognised with confidence",
     "The transcript is unreliable: {low} of {total} words were hard to recognise.", LISTEN),
    (r"risk words were recognised uncertainly", "Risk words may have been heard, but recognition was unsure.",
     "Listen to confirm what was said."),
    (r"(?P<n>\d+) attempts never finished",
     "Processing stopped {n} times before it finished (a worker crashed or ran out of memory).", LISTEN),
    (r"recording could not be found at Twilio",
     "The recording was no longer at Twilio and Peerline never stored a copy.",
     "There is nothing to listen to. Reject it to close it."),
    (r"fetch recording: HTTP (?P<status>\d+)",
     "Peerline could not download the recording from Twilio (Twilio answered HTTP {status}).",
     "If it keeps happening, check the Twilio account and the worker's log. Twilio keeps its copy until Peerline has one."),
    (r"fetch recording: (?P<error>\w+)",
     "Peerline could not download the recording from Twilio (network problem: {error}).",
     "If it keeps happening, check the worker's internet connection. Twilio keeps its copy until Peerline has one."),
    (r"(storage unavailable|could not store the recording|could not read the stored recording)",
     "Peerline could not read or write its audio storage.",
     "Tell whoever runs the server that storage is failing. Nothing the caller recorded is deleted."),
    (r"stored copy did not decode",
     "Peerline's stored copy of the recording would not play back. Twilio still has its copy.",
     "Peerline downloads it again on its own within a day; Retry processing does it now."),
    (r"(not a RIFF/WAVE file|corrupt WAV|WAV holds no audio|implausible WAV|empty input|unreadable audio|"
     r"no audio could be decoded|unsupported sample width)",
     "The recording file is damaged and could not be played back by the server.",
     "Try the player; if it does not play, reject it to close it."),
    (r"audio is .*(long|limit)", "The recording is far longer than a share can be.", LISTEN),
    (r"ffmpeg took too long", "Decoding the recording took too long.", LISTEN),
]
UNKNOWN_REASON = ("Processing did not finish ({raw}).", LISTEN)
_COMPILED = [(re.compile(p, re.IGNORECASE), what, todo) for p, what, todo in REASONS]


def reason(raw: str | None) -> Reason | None:
    """A stored failure or listening reason in plain words (None when there is none)."""
    if not raw:
        return None
    text = str(raw)
    for pattern, what, todo in _COMPILED:
        match = pattern.search(text)
        if match:
            values = {k: v for k, v in match.groupdict().items()}
            code = values.pop("code", None)
            values["code"] = f" (Twilio error {code})" if code else ""
            return Reason(what.format(**values), todo)
    what, todo = UNKNOWN_REASON
    # Stored reasons carry no caller data (error classes, counts, codes), so showing the tail is safe.
    return Reason(what.format(raw=_strip_prefix(text)), todo)


def is_known_reason(raw: str) -> bool:
    """True when a reason has its own plain explanation (used by the tests)."""
    return any(pattern.search(raw) for pattern, _, _ in _COMPILED)


def _strip_prefix(text: str) -> str:
    return re.sub(r"^(processing failed|needs listening):\s*", "", text, flags=re.IGNORECASE)[:160]


def tier(value: str | None) -> str:
    """Short tier name: 'Crisis', 'Needs listening', 'Not ranked yet'."""
    return TIERS.get(value or "", UNRANKED)[0] if value else UNRANKED[0]


def tier_key(share) -> str | None:
    """The share's tier; one that processing sent to a person without ranking counts as needs listening."""
    if not share.tier and share.status in ("needs_listening", "failed"):
        return "needs_listening"
    return share.tier


def tier_sentence(share) -> str:
    """The tier as a moderator would say it: 'Needs listening: no transcript in this language ...'."""
    return f"{tier(tier_key(share))}: {tier_meaning(share)}"


def tier_meaning(share) -> str:
    """What the share's tier means for the moderator, with the reason when it needs listening."""
    key = tier_key(share)
    if not key:
        return UNRANKED[1]
    name, meaning = TIERS.get(key, (humanise(key), "screening gave this tier."))
    if key == "needs_listening":
        why = listening_reason(share)
        if why is not None:
            return why.what[0].lower() + why.what[1:]
    return meaning


def listening_reason(share) -> Reason | None:
    """Why a share needs listening or failed, from its failure reason or its listening reasons."""
    screening = share.screening if isinstance(share.screening, dict) else {}
    for raw in [share.failure_reason, *(screening.get("listening_reasons") or []), *(share.reasons or [])]:
        if isinstance(raw, str) and raw and (is_known_reason(raw) or raw == share.failure_reason):
            return reason(raw)
    return None


def share_state(value: str | None) -> str:
    """A share's state in words."""
    return SHARE_STATES.get(value or "", humanise(value))


def reply_state(value: str | None) -> str:
    """A reply's state in words (a share's words where a reply is not different)."""
    return REPLY_STATES.get(value or "") or share_state(value)


def session_state(value: str | None) -> str:
    """A circle meeting's state in words."""
    return SESSION_STATES.get(value or "", humanise(value))


def reminder_state(value: str | None) -> str:
    """A reminder's state in words."""
    return REMINDER_STATES.get(value or "", humanise(value))


def content_note(value: str | None) -> str:
    """A story's content note in words."""
    return CONTENT_NOTES.get(value or "", humanise(value)) if value else "none"


def role(value: str | None) -> str:
    """A staff role in words."""
    return ROLES.get(value or "", humanise(value))


def humanise(value: str | None) -> str:
    """Fallback for a value with no label: underscores to spaces, first letter capital."""
    text = (value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "–"


def plural(count: int | None, one: str, many: str | None = None) -> str:
    """'1 play', '2 plays', '0 plays' ('1 person', '3 people' with `many`)."""
    n = int(count or 0)
    return f"{n} {one if n == 1 else (many or one + 's')}"


def meeting_days(days: str | None) -> str:
    """'Every day', 'Weekdays', 'Tuesday and Thursday', 'Monday, Wednesday and Friday'."""
    numbers = sorted({int(d) for d in (days or "").split(",") if d.strip().isdigit() and int(d) < 7})
    if len(numbers) == 7:
        return "Every day"
    if numbers == [0, 1, 2, 3, 4]:
        return "Weekdays"
    if numbers == [5, 6]:
        return "Weekends"
    names = [WEEKDAYS[d] for d in numbers]
    if not names:
        return "No meeting days set"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def wait_phrase(share, seconds_waiting: int | None, human) -> str:
    """'waiting 6 min' while a share waits; 'decided after 6 min' once decided; '' otherwise."""
    if share.status in WAITING_STATES:
        return f"waiting {human(seconds_waiting)}"
    if share.decided_at is not None and share.queued_at is not None:
        return f"decided after {human(max(0, int((aware(share.decided_at) - aware(share.queued_at)).total_seconds())))}"
    return ""


def flag_label(flag) -> str:
    """A screening flag in plain words: listening and failure reasons explained, profanity named."""
    text = flag.label
    if flag.category == "listening" and text.lower().startswith("needs listening:"):
        text = text.split(":", 1)[1].strip()
    if flag.category in (None, "listening") and (is_known_reason(text) or text.lower().startswith("processing failed")):
        return reason(text).what
    if flag.category == "profanity":
        return "Swear word (bleep it before publishing): " + text.split(":", 1)[-1].strip()
    return text  # screening's own words for moderators (workers.screening.types.Reason.label)


def queue_reasons(share, limit: int = 4) -> list[str]:
    """The share's first few flags in plain words, for the queue list."""
    return [flag_label(f) for f in review.flags(share)][:limit]


CATEGORIES = {"risk": "Risk", "personal": "Personal detail", "abuse": "Abuse", "profanity": "Swearing",
              "listening": "Listen"}


def category(value: str | None) -> str:
    """A flag category in words."""
    return CATEGORIES.get(value or "", humanise(value))
