"""Screening speed: time per 150-word transcript over 1,000 transcripts, English and Spanish.

Transcripts are Vosk-shaped word lists (word, start, end, conf), built from everyday talk with a
warning sign, a personal detail or a misrecognised word mixed into some, so every detector runs
on realistic input. The word lists are loaded once before timing (as a worker does at start-up).

    .venv/bin/python bench/screening.py [--transcripts 1000] [--words 150] [--lang en]

Target: under 2 ms median per transcript.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from _workers_common import machine_note

from workers.screen import screen
from workers.screening.lexicon import load_lexicon

TALK = {
    "en": ("so this week was hard but i went to the group on tuesday and we talked about how the "
           "holidays make everything louder my sister called and we laughed for a bit i have been "
           "walking the dog every morning and sleeping a little better work is busy the bus was late "
           "again and i was tired but i made dinner and watched something with my son").split(),
    "es": ("esta semana fue difícil pero fui al grupo el martes y hablamos de cómo las fiestas hacen "
           "todo más ruidoso mi hermana me llamó y nos reímos un rato he salido a caminar con el perro "
           "cada mañana y duermo un poco mejor el trabajo está pesado el autobús llegó tarde otra vez "
           "y estaba cansada pero hice la cena y vi algo con mi hijo").split(),
}
INSERTS = {
    "en": ["i keep thinking about killing myself", "everyone would be better off without me",
           "i've been saving up my pills for tonight", "my number is oh seven seven double four one two three",
           "i'm standing on the bridge right now", "i feel so hopeless", "i want to kil my self",
           "we watched the fireworks on the bridge", "i gave away my things and said goodbye to everyone"],
    "es": ["ya no quiero vivir", "todos estarían mejor sin mí", "tengo las pastillas guardadas para esta noche",
           "mi número es cinco cinco cinco uno dos tres cuatro", "estoy en el puente ahora mismo",
           "me siento atrapada sin salida", "me quiero suicidar", "regalé todas mis cosas"],
}


def transcript(rng: random.Random, lang: str, words: int) -> list[dict]:
    """One Vosk-style word list: everyday talk with a sign or detail mixed into two thirds of them."""
    talk = TALK[lang]
    start = rng.randrange(len(talk))
    text = [talk[(start + i) % len(talk)] for i in range(words)]
    if rng.random() < 2 / 3:
        insert = rng.choice(INSERTS[lang]).split()
        at = rng.randrange(words - len(insert))
        text[at: at + len(insert)] = insert
    return [{"word": w, "start": i * 0.4, "end": i * 0.4 + 0.32, "conf": rng.uniform(0.7, 1.0)}
            for i, w in enumerate(text[:words])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--lang", choices=sorted(TALK), action="append")
    args = parser.parse_args()
    print(machine_note())
    for lang in args.lang or sorted(TALK):
        load_lexicon(lang)
        rng = random.Random(11)
        batch = [transcript(rng, lang, args.words) for _ in range(args.transcripts)]
        wall, cpu = [], []
        tiers: dict[str, int] = {}
        for words in batch:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = screen(words, lang=lang)
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            tiers[result.tier.label] = tiers.get(result.tier.label, 0) + 1
        # Wall time on a shared machine counts other people's work too; CPU time is this process's own.
        for name, times in (("wall", sorted(wall)), ("cpu", sorted(cpu))):
            print(f"[{lang}] {args.transcripts} transcripts of {args.words} words, {name} time: "
                  f"median {statistics.median(times):.2f} ms, p95 {times[int(0.95 * len(times))]:.2f} ms, "
                  f"max {times[-1]:.2f} ms per transcript (target: median under 2 ms)")
        print(f"[{lang}] tiers: " + ", ".join(f"{k} {v}" for k, v in sorted(tiers.items())))


if __name__ == "__main__":
    main()
