"""Demo topics and stories, so the embedded default has something to hear.

Story audio is spoken by espeak-ng at seed time (and made 8 kHz mono with ffmpeg, as a phone
hears it), so no recordings need to be shipped. Seeding twice changes nothing.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from sqlalchemy import select

from ivr.stories import domain as stories
from ivr.extensions import db
from ivr.stories.models import Story
from ivr.progress import silent

TOPICS = [
    ("anxiety", "1", {"en": "anxiety and worry", "es": "ansiedad y preocupación"}),
    ("grief", "2", {"en": "grief and loss", "es": "duelo y pérdida"}),
    ("recovery", "3", {"en": "recovery", "es": "recuperación"}),
    ("loneliness", "4", {"en": "loneliness", "es": "soledad"}),
    ("family", "5", {"en": "family", "es": "familia"}),
]
ESPEAK_VOICES = {"en": "en-us", "es": "es-419"}

# (topic slug, language, title, content note, words)
STORIES = [
    ("anxiety", "en", "A story about the night before a new job", None,
     "The night before my new job I could not sleep. My heart was racing and I kept imagining everything going wrong. "
     "I got up, made tea, and wrote down three things I could control. It did not fix everything, but I slept a little, "
     "and the first day was kinder than my worries."),
    ("anxiety", "en", "A story about breathing on the bus", None,
     "Crowded buses used to frighten me. Now I count my breaths, in for four and out for six, and I look for five blue "
     "things through the window. Some days it works better than others. It is still my trip, and I still take it."),
    ("anxiety", "es", "Una historia sobre respirar antes de dormir", None,
     "Antes me costaba mucho dormir por las preocupaciones. Ahora respiro despacio y escribo lo que me inquieta en un "
     "papel. No desaparece todo, pero la noche se hace más corta."),
    ("grief", "en", "A story about my mother's garden", "loss",
     "When my mother died, I could not go into her garden for a year. Last spring I planted her favourite tulips. "
     "I cried the whole afternoon, and it felt like she was there with me. Grief still comes in waves, but now I know how to swim."),
    ("grief", "en", "A story about the first holiday alone", None,
     "The first holiday after my partner passed, I thought I would stay in bed. A friend called and simply asked me to walk "
     "with her. We did not talk much. It was enough to not be alone."),
    ("grief", "es", "Una historia sobre el jardín de mi abuela", "loss",
     "Cuando murió mi abuela, no podía mirar sus fotos. Un día planté las flores que ella quería. Lloré mucho, pero sentí "
     "que seguía conmigo."),
    ("recovery", "en", "A story about starting over", "self_harm",
     "There was a time when I hurt myself to get through the night. Getting help was the hardest call I ever made. "
     "Recovery has not been a straight line, but I have more good days now, and I know who to call on the bad ones."),
    ("recovery", "en", "A story about one year sober", "substance_use",
     "One year ago I poured my last drink down the sink. Meetings, a sponsor and a lot of coffee got me here. "
     "If you are on day one today, day one counts."),
    ("recovery", "es", "Una historia sobre empezar de nuevo", None,
     "Hace dos años empecé de nuevo. Pedí ayuda, y no fue fácil. Hoy tengo más días buenos que malos."),
    ("loneliness", "en", "A story about a neighbour's knock", None,
     "After I moved to a new city I went weeks without talking to anyone. One day my neighbour knocked to borrow sugar. "
     "Now we have tea every Sunday. Sometimes connection starts with something very small."),
    ("loneliness", "es", "Una historia sobre una llamada inesperada", None,
     "Me sentía muy solo en la ciudad. Un día llamé a un viejo amigo sin motivo. Hablamos una hora. Ahora nos llamamos cada semana."),
    ("family", "en", "A story about talking with my dad", None,
     "My dad and I did not speak for three years. I wrote him a letter I never thought I would send. He called me the day "
     "it arrived. We are still learning how to talk, slowly."),
    ("family", "es", "Una historia sobre mi hermana", None,
     "Mi hermana y yo peleábamos siempre. Después de una crisis en la familia, empezamos a escucharnos. Todavía discutimos, "
     "pero ahora también nos reímos."),
]


class SeedError(RuntimeError):
    """Raised when demo audio cannot be made (espeak-ng or ffmpeg missing)."""


def speak_wav(text: str, language: str) -> tuple[bytes, int]:
    """Speak text with espeak-ng as an 8 kHz mono 16-bit WAV; returns (bytes, whole seconds)."""
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            raise SeedError(f"{tool} is not installed (apt-get install espeak-ng ffmpeg)")
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-v", ESPEAK_VOICES[language], "-s", "150", "-w", str(raw), text],
                       check=True, capture_output=True)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(raw), "-ar", "8000", "-ac", "1",
                        "-acodec", "pcm_s16le", str(out)], check=True, capture_output=True)
        with wave.open(str(out)) as w:
            seconds = round(w.getnframes() / w.getframerate())
        return out.read_bytes(), seconds


def seed_demo(progress=None) -> int:
    """Create the demo topics and any missing demo stories; returns how many stories were added.

    `progress(items, label, describe=...)` wraps the slow part (speaking each story); see ivr.progress.
    """
    topics = {slug: stories.ensure_topic(slug, key, names) for slug, key, names in TOPICS}
    missing = [story for story in STORIES if not _exists(topics[story[0]], story[1], story[2])]
    added = 0
    with (progress or silent)(missing, "Speaking demo stories",
                              describe=lambda s: f"{s[1]} {s[0]}: {s[2]}") as items:
        for slug, language, title, note, text in items:
            audio, seconds = speak_wav(text, language)
            stories.add_story(topics[slug], title, language, audio, seconds, content_note=note)
            added += 1
    db.session.commit()
    return added


def _exists(topic, language: str, title: str) -> bool:
    return db.session.execute(
        select(Story.id).filter_by(topic_id=topic.id, language=language, title=title)).first() is not None
