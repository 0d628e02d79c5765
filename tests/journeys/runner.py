"""Golden journeys: run a canonical call through the phone simulator and compare its transcript.

Journeys are data (journeys.toml); a world is a small function that sets up what exists before
the call. Transcripts are normalised (conference names, file paths, reference numbers, story
audio names) so that only what a caller hears can change them. Regenerate with
PEERLINE_UPDATE_JOURNEYS=1 (see README.md).
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Callable

from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.simulator.call import Entry
from tests.stories.factories import add_story, add_topic, spoken_wav
from tests.circles.factories import open_circle

HERE = Path(__file__).resolve().parent
UPDATE = os.environ.get("PEERLINE_UPDATE_JOURNEYS") == "1"
VOICE_TEXT = "I have had a hard week, but talking helps. Thank you for listening."

WORLDS: dict[str, Callable] = {}


def world(name: str):
    """Register a world: a function (app, sim) that sets up what exists before a journey's call."""
    def decorator(fn):
        WORLDS[name] = fn
        return fn
    return decorator


@world("library")
def _library(app, sim):
    """Two English stories and one Spanish story about grief (topic key 2)."""
    with app.app_context():
        grief = add_topic()
        older = add_story(grief, "A story about the first winter", seconds=8,
                          text="The first winter without her was long, but spring came.")
        add_story(grief, "A story about my mother's garden", seconds=9,
                  text="I planted her tulips and cried, and it felt like she was there.")
        add_story(grief, "Una historia sobre el jardín de mi abuela", language="es", seconds=7,
                  text="Planté las flores de mi abuela.")
        older.published_at -= timedelta(hours=1)
        db.session.commit()


@world("circles")
def _circles(app, sim):
    """English circle 3, open now, led by Sam (PIN 246813)."""
    open_circle(app)


@world("circle_es")
def _circle_es(app, sim):
    """Spanish circle 12, open now."""
    from ivr.circles.models import Circle
    circle_id = open_circle(app, number=12, name="Martes de apoyo")
    with app.app_context():
        db.session.get(Circle, circle_id).language = "es"
        db.session.commit()


@world("circle_people")
def _circle_people(app, sim):
    """Two callers waiting in circle 3 before its leader arrives."""
    for n in (1, 2):
        sim.call(f"+155503100{n:02d}", script=["1", "1", "2", "1", "2"])


@world("share_by_reference")
def _share_by_reference(app, sim):
    """A message left with a hidden number: its number is 482913, its PIN 1357."""
    with app.app_context():
        shares.receive_recording("RE" + "7" * 32, None, None, 20, None, "en", reference="482913",
                                 pin_hash=shares.hash_pin("1357"), enqueue=False)


def _replies_worlds(language: str) -> None:
    """Worlds for replies to stories (issue 17), one set per language; the callers are tests/stories/replies_support's."""
    from tests.stories import replies_support as rs
    from tests.stories.factories import returning_caller

    @world(f"replies_story_{language}")
    def _story(app, sim):
        """A storyteller's share became a story (topic key 2); two listeners who have called before."""
        rs.storyteller_story(app, language=language)
        for number in (rs.LISTENER, rs.THIRD):
            returning_caller(app, number, language=language)

    @world(f"replies_heard_{language}")
    def _heard(app, sim):
        """On that story: two replies passed on for everyone (the older a year ago) and one private."""
        from ivr.shares.models import Share
        from ivr.stories.models import Story
        with app.app_context():
            story_id = db.session.execute(db.select(Story.id)).scalars().first()
        older = rs.delivered_reply(app, story_id, language=language, text="Your story made me feel less alone.")
        rs.delivered_reply(app, story_id, language=language)
        rs.delivered_reply(app, story_id, audience="storyteller", language=language, text="This one is private.")
        with app.app_context():
            share = db.session.get(Share, older)
            share.decided_at = share.decided_at.replace(year=share.decided_at.year - 1)
            db.session.commit()

    @world(f"replies_for_storyteller_{language}")
    def _for_storyteller(app, sim):
        """That story was played 12 times, helped 4 times, and has one reply passed to its storyteller."""
        from ivr.stories.models import Story
        with app.app_context():
            story = db.session.execute(db.select(Story)).scalars().first()
            story.plays, story.helped = 12, 4
            db.session.commit()
            story_id = story.id
        rs.delivered_reply(app, story_id, audience="storyteller", language=language)


for _language in ("en", "es"):
    _replies_worlds(_language)


def load() -> list[dict]:
    """Every journey in journeys.toml."""
    with open(HERE / "journeys.toml", "rb") as fh:
        return tomllib.load(fh)["journey"]


def script_of(journey: dict) -> list[str]:
    """The journey's script, with {voice} made into a real WAV of speech."""
    voice = str(spoken_wav(VOICE_TEXT))
    return [item.replace("{voice}", voice) for item in journey["script"]]


def run(app, sim, journey: dict) -> str:
    """Set up the journey's world, place its call, and return the normalised transcript."""
    for name in journey.get("world", []):
        WORLDS[name](app, sim)
    call = sim.call(journey["from"], script=script_of(journey))
    if not call.ended:
        call.transcript.append(Entry("note", "end of script: hanging up", sim.clock))
        call.hangup()
    header = [f"# {journey['name']}: {journey['about']}", f"# script: {', '.join(journey['script'])}", ""]
    lines = [("  " if e.kind == "say" else "") + e.line() for e in call.transcript]
    lines += [f"[simulator error] {err}" for err in sim.errors]
    return "\n".join(header) + "\n" + normalise("\n".join(lines) + "\n")


_NORMAL = [
    (re.compile(r"pl-[0-9a-f]{8,}"), "pl-<conference>"),
    (re.compile(r"/audio/stories/[\w.-]+\.wav"), "/audio/stories/<story>.wav"),
    (re.compile(r"/audio/replies/[\w.-]+\.wav"), "/audio/replies/<reply>.wav"),
    (re.compile(r"from /\S+\.wav"), "from <voice>.wav"),
    (re.compile(r"https?://\S*/Recordings/RE[0-9a-f]+\S*"), "<recording url>"),
    (re.compile(r"(?<!\d, )\b[1-9](, \d){5}\b(?!, \d)"), "<six digits>"),  # a message's random number
    (re.compile(r"\bCA[0-9a-f]{32}\b"), "CA<sid>"),
]


def normalise(text: str) -> str:
    """Replace what changes from run to run (ids, paths, random numbers) with stable markers."""
    for pattern, marker in _NORMAL:
        text = pattern.sub(marker, text)
    return text


def check(name: str, transcript: str) -> str | None:
    """Compare with the committed transcript (or write it when updating); a message on mismatch."""
    path = HERE / f"{name}.txt"
    if UPDATE:
        path.write_text(transcript)
        return None
    if not path.exists():
        return f"{path.name} is missing: run PEERLINE_UPDATE_JOURNEYS=1 pytest tests/journeys"
    if path.read_text() != transcript:
        diff = difflib.unified_diff(path.read_text().splitlines(), transcript.splitlines(),
                                    f"{name}.txt (committed)", f"{name} (this run)", lineterm="")
        return "\n".join(diff) + "\n\nIf the change is intended: PEERLINE_UPDATE_JOURNEYS=1 pytest tests/journeys"
    return None
