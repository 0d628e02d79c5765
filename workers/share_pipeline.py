"""rq jobs for voice shares: take ids, are idempotent, write results only through ivr.shares.

`process_share(share_id)` runs the issue's six steps: fetch and store the recording (then delete
Twilio's copy), decode and measure it, transcribe it, screen the words, make the redacted (and
disguised) copies, and place the share in the moderation queue; a crisis-tier share also texts
the on-call moderator. Importing this module loads neither Vosk nor the app.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ivr import audio, telephony
from ivr.shares import oncall
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.storage import storage
from workers import context, screen, transcribe, vosk_models
from workers.screen import NEEDS_LISTENING_PRIORITY
from workers.screening.types import Tier

log = logging.getLogger(__name__)

#: Statuses a normal run starts from; anything else was already processed (or decided, or gone).
START_STATUSES = ("received", "processing")


class Transient(RuntimeError):
    """A failure worth retrying later (network, Twilio, storage)."""


@dataclass
class Outcome:
    """What one run did to a share (returned as the rq job's result, for logs and tests)."""

    share_id: int
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"share {self.share_id}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def process_share(share_id: int, force: bool = False) -> str:
    """Fetch, store, transcribe, screen and queue one share; safe to run any number of times."""
    with context.app_context() as app:
        # No session.remove(): inline, this is the web request's session; in a worker, the app
        # context's teardown removes it.
        try:
            outcome = _process(app, int(share_id), force)
        except BaseException:
            db.session.rollback()
            raise
    log.info("%s", outcome)
    return str(outcome)


def alert_oncall(share_id: int) -> str:
    """Text the on-call moderator about a crisis-tier share, once (retried when transient)."""
    with context.app_context():
        share = shares.get(int(share_id))
        if share is None:
            return f"share {share_id}: gone"
        return f"share {share_id}: alert {oncall.send(share).status}"


# --- the pipeline ---------------------------------------------------------------------------

def _process(app, share_id: int, force: bool) -> Outcome:
    share = shares.get(share_id)
    if share is None:
        return Outcome(share_id, "gone")
    if share.status not in START_STATUSES and not force:
        return Outcome(share_id, share.status, "already processed")
    share = shares.mark_processing(share_id)
    if share is None:
        return Outcome(share_id, "skipped", "not processable")
    attempt = share.attempts
    db.session.commit()
    if attempt > _max_attempts(app):
        # Earlier runs never finished (a worker killed, out of memory, a crash inside Vosk):
        # stop here rather than crash-loop, and let a person listen.
        return _give_up(share_id, f"{attempt - 1} attempts never finished")
    try:
        return _pipeline(app, share)
    except Transient as exc:
        db.session.rollback()
        return _transient_failure(app, share_id, attempt, str(exc))
    except Exception as exc:  # a bug, a timeout, the database: retried too, but never forever
        db.session.rollback()
        log.exception("share %s: attempt %s failed unexpectedly", share_id, attempt)
        return _transient_failure(app, share_id, attempt, f"{type(exc).__name__}: {exc}")


def _pipeline(app, share) -> Outcome:
    config = app.config
    original_key = _ensure_original(app, share)
    db.session.refresh(share)
    if share.status not in START_STATUSES:  # discarded or withdrawn while we fetched: stop here
        return Outcome(share.id, share.status, "closed while processing")
    if original_key is None:  # the recording is gone at Twilio and we never stored it
        return _give_up(share.id, "the recording could not be found at Twilio")

    started = time.monotonic()
    data = _read(original_key)
    limit = _max_duration(config)
    try:
        segment = audio.decode(data, max_duration_s=limit)
    except audio.AudioError as exc:
        if not share.twilio_deleted:
            # Maybe a bad download: drop our copy and fetch Twilio's again (kept until ours decodes).
            _drop_original(share, original_key)
            raise Transient(f"the stored copy did not decode: {exc}") from exc
        # Corrupt, zero-length, implausible or far too long, and no other copy: retrying cannot help.
        return _give_up(share.id, str(exc))
    # Only now that our copy decodes is Twilio's copy deleted.
    _forget_twilio_copy(share)
    stats = audio.measure(segment)
    duration_s = int(round(stats.duration_s))
    truncated = share.truncated
    if duration_s > config["MAX_SHARE_SECONDS"] + 5:
        truncated = True
    def listen(reason: str, transcript=None) -> Outcome:
        # A person must listen. No redacted copy is made: only a screened, bleeped copy may ever be
        # published, and a moderator can bleep one by hand.
        shares.record_processing_result(
            share.id, original_key=original_key, duration_s=duration_s, truncated=truncated,
            transcript=_transcript_data(transcript, stats), tier="needs_listening",
            priority=_listening_priority(), needs_listening=True, reasons=[reason],
        )
        db.session.commit()
        return Outcome(share.id, "needs_listening", reason)

    if stats.is_empty:
        return listen(f"no speech detected ({stats.speech_ms} ms above the recording's own level)")
    segment = audio.normalise(segment)
    try:
        transcript = _transcribe(config, share.language, segment)
    except NoModelForLanguage as exc:
        return listen(str(exc))
    try:
        screening = _screen(config, transcript, share.language)
    except NoWordLists as exc:
        return listen(str(exc), transcript)
    return finish(share.id, original_key=original_key, segment=segment, stats=stats, transcript=transcript,
                  screening=screening, duration_s=duration_s, truncated=truncated, started=started)


def finish(share_id: int, *, original_key: str, segment, stats, transcript, screening, duration_s: int,
           truncated: bool, started: float | None = None) -> Outcome:
    """Steps 5-6: store the redacted (and disguised) copies, queue the share by priority, alert on crisis."""
    share = shares.get(share_id)
    keys = _redact_and_store(share, segment, spans=screening.personal_spans, disguise=share.disguise)
    reasons = [r.describe() for r in screening.reasons] + list(screening.listening_reasons)
    if screening.profanity:
        reasons.append("profanity (a note for publishing): " + ", ".join(n.word for n in screening.profanity))
    tier = screening.tier.label
    queued = shares.record_processing_result(
        share_id, original_key=original_key, redacted_key=keys.get("redacted"),
        disguised_key=keys.get("disguised"), duration_s=duration_s, truncated=truncated,
        transcript=_transcript_data(transcript, stats), screening=screening.to_dict(),
        tier=tier, priority=screening.priority, reasons=reasons, needs_listening=screening.needs_listening,
    )
    db.session.commit()
    if queued is None:  # withdrawn or discarded while we worked: its new files are already gone
        return Outcome(share_id, "gone", "closed while processing")
    if started is not None:
        log.info("share %s processed in %.1f s for %.1f s of audio: tier %s, priority %s",
                 queued.reference, time.monotonic() - started, stats.duration_s, tier, screening.priority)
    if _is_crisis(screening):
        _alert(share_id)
    return Outcome(share_id, queued.status, f"tier {tier}")


# --- step 1: fetch, store, forget --------------------------------------------------------------

def original_key_for(share) -> str:
    """Where a share's original recording is stored."""
    return f"shares/{share.id}/original.audio"


def _ensure_original(app, share) -> str | None:
    """The stored original's key, fetching it from Twilio first if we do not hold it yet."""
    store = storage()
    key = share.original_key or original_key_for(share)
    # While Twilio still has its copy, an unrecorded object under our key is not trusted: it may be
    # an undecodable copy whose removal failed (_drop_original). Fetching again overwrites it.
    if share.original_key or share.twilio_deleted:
        try:
            if store.exists(key):
                return key
        except Exception as exc:  # any backend: OSError, StorageUnavailable, a botocore error
            raise Transient(f"storage unavailable: {exc}") from exc
    if share.twilio_deleted:
        return None
    try:
        data = telephony.fetch_recording(share.recording_sid)
    except telephony.TelephonyError as exc:
        if getattr(exc, "transient", True):
            raise Transient(f"could not fetch the recording from Twilio: {exc}") from exc
        log.warning("share %s: Twilio has no recording (%s)", share.reference, exc)
        return None
    try:
        store.put(key, data)
    except Exception as exc:  # any backend's error: Twilio's copy is kept and the fetch retried
        raise Transient(f"could not store the recording: {exc}") from exc
    # Remember the key at once, so that a crash after this point never fetches twice.
    shares.record_original(share.id, key)
    db.session.commit()
    return key


def _drop_original(share, key: str) -> None:
    """Forget a stored original that does not decode, so the next attempt fetches Twilio's copy again.

    Removing the object is best effort on either backend (the directory raises OSError, S3 its own
    errors): the next fetch overwrites it anyway, because an unrecorded key is not trusted.
    """
    try:
        storage().delete(key)
    except Exception:  # noqa: BLE001 - any backend; the refetch overwrites the object
        log.warning("share %s: could not remove the undecodable copy %s; the next fetch replaces it",
                    share.reference, key, exc_info=True)
    share.original_key = None
    db.session.commit()


def _forget_twilio_copy(share) -> None:
    """Delete Twilio's copy now that we hold ours; a failure here is retried by the sweep."""
    if share.twilio_deleted:
        return

    try:
        telephony.delete_recording(share.recording_sid)
    except telephony.TelephonyError as exc:
        if getattr(exc, "transient", True):
            log.warning("share %s: Twilio's copy not deleted yet (%s); the sweep will retry", share.reference, exc)
            return
        # Permanent (e.g. 404): there is no copy left to delete.
    shares.mark_twilio_deleted(share.id)
    db.session.commit()


def _read(key: str) -> bytes:
    try:
        return storage().get(key)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Transient(f"could not read the stored recording: {exc}") from exc


# --- steps 2-5 -------------------------------------------------------------------------------

class NoModelForLanguage(LookupError):
    """No speech-recognition model for the share's language."""


def _transcribe(config, language: str, segment):
    try:
        model = vosk_models.get(config, language)
    except (transcribe.ModelNotFoundError, ValueError) as exc:
        raise NoModelForLanguage(f"no speech-recognition model for language {language!r}") from exc
    return transcribe.transcribe(model, segment.raw_data, segment.frame_rate)


class NoWordLists(LookupError):
    """No screening word lists for the share's language."""


def _screen(config, transcript, language: str):
    options = {}
    if config["SCREEN_MIN_CONFIDENCE"] is not None:
        options["min_mean_conf"] = config["SCREEN_MIN_CONFIDENCE"]
    try:
        return screen.screen(transcript, lang=language, **options)
    except screen.LexiconError as exc:
        raise NoWordLists(f"no screening word lists for language {language!r}: a person must listen") from exc


def _redact_and_store(share, segment, *, spans, disguise: bool) -> dict[str, str]:
    """Store the redacted copy (personal details bleeped) and, if asked, its disguised version."""
    store = storage()
    keys = {}
    redacted = audio.bleep(segment, list(spans)) if spans else segment
    keys["redacted"] = store.put(f"shares/{share.id}/redacted.wav", audio.export(redacted, "wav"))
    if disguise:
        # Disguise the redacted copy, never the original: the published copy is both.
        keys["disguised"] = store.put(f"shares/{share.id}/disguised.wav",
                                      audio.export(audio.disguise(redacted), "wav"))
    return keys


# --- step 6 and failures ---------------------------------------------------------------------

def _is_crisis(screening) -> bool:
    return screening.tier >= Tier.CRISIS


def _alert(share_id: int) -> None:
    """Text on-call about a crisis-tier share (ivr.shares.oncall.alert: now, or a retrying job at the front)."""
    oncall.alert(share_id)


def _listening_priority() -> int:
    return NEEDS_LISTENING_PRIORITY


def _give_up(share_id: int, reason: str) -> Outcome:
    """A permanent failure: a human listens; the share says why."""
    shares.mark_needs_listening(share_id, f"processing failed: {reason}")
    db.session.commit()
    return Outcome(share_id, "needs_listening", f"processing failed: {reason}")


def _transient_failure(app, share_id: int, attempt: int, reason: str) -> Outcome:
    """Retry later (rq's Retry, else the sweep); after the last attempt, say so in the queue."""
    max_attempts = _max_attempts(app)
    if attempt >= max_attempts:
        log.error("share %s: giving up after %s attempts: %s", share_id, attempt, reason)
        outcome = _give_up(share_id, reason)
        _retry_fetch_later(share_id)
        return outcome
    log.warning("share %s: attempt %s of %s failed, will retry: %s", share_id, attempt, max_attempts, reason)
    raise Transient(reason)


def _retry_fetch_later(share_id: int) -> None:
    """We hold no copy (fetch or store kept failing): the sweep tries again with backoff for a day."""
    share = shares.get(share_id)
    if share is not None and not share.original_key:
        when = shares.schedule_fetch_retry(share_id)
        db.session.commit()
        log.warning("share %s: no stored copy yet; the sweep retries %s", share.reference,
                    f"at {when:%H:%M} UTC" if when else "no more (a moderator can press Retry)")


def _max_attempts(app) -> int:
    return app.config["SHARE_MAX_ATTEMPTS"]


def _max_duration(config) -> float:
    # Twilio stops a <Record> at MAX_SHARE_SECONDS; allow slack for its rounding, refuse hours.
    return config["MAX_SHARE_SECONDS"] * 2 + 60


def _stats(stats) -> dict:
    return {"duration_s": round(stats.duration_s, 2), "dbfs": None if stats.dbfs == float("-inf") else round(stats.dbfs, 1),
            "speech_ms": stats.speech_ms}


def _transcript_data(transcript, stats) -> dict:
    if transcript is None:
        return {"text": "", "words": [], "mean_conf": 0.0, "stats": _stats(stats)}
    return {
        "text": transcript.text,
        "mean_conf": round(transcript.mean_conf, 3),
        "words": [{"word": w.text, "start": w.start, "end": w.end, "conf": round(w.conf, 3)} for w in transcript.words],
        "stats": _stats(stats),
    }


def job_timeout_for(duration_s: float | None, max_share_seconds: int = 180) -> int:
    """rq timeout for processing a share of this length: generous, and proportional to it."""
    seconds = duration_s if duration_s and duration_s > 0 else max_share_seconds
    return int(120 + 4 * seconds)
