"""`peerline call`: the phone in the terminal, scripted and interactive, and --speak."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydub import AudioSegment

from ivr.cli.main import main
from ivr.simulator.terminal import call_command, place_call
from tests.simulator.twimlapp import xml


def test_script_prints_the_transcript_and_hangs_up_at_its_end(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather numDigits="1" action="/a"><Say>Press one</Say></Gather>')
    tapp.docs["/a"] = xml('<Gather numDigits="1" action="/a"><Say>Again</Say></Gather>')
    out: list[str] = []
    call = place_call(tsim, "+15550100001", None, "1,2", echo=out.append)
    assert out[0].strip() == "Press one" and "> pressed 1" in out and "> pressed 2" in out
    assert any("end of script" in line for line in out)
    assert call.ended and tapp.form("/cb/status")["CallStatus"] == "completed"


def test_interactive_reads_keys_speech_and_q(tapp, tsim):
    tapp.docs["/voice"] = xml('<Gather input="dtmf speech" numDigits="1" action="/a"><Say>Say or press</Say></Gather>')
    tapp.docs["/a"] = lambda form: xml(f'<Say>got {form.get("SpeechResult") or form.get("Digits")}</Say>'
                                       '<Gather numDigits="1" action="/a"><Say>more</Say></Gather>')
    lines = iter(["say hello there", "5", "q"])
    out: list[str] = []
    call = place_call(tsim, "+15550100001", None, None, echo=out.append, read=lambda prompt: next(lines))
    assert call.said()[:5] == ["Say or press", "got hello there", "more", "got 5", "more"]
    assert call.ended and out[-1] == "[call completed]"


def test_peerline_call_command_runs_on_the_embedded_defaults(tmp_path):
    """The real command in a fresh process: SQLite, no Redis, the dev token, migrated on first use."""
    env = {"PATH": "/usr/bin:/bin", "PEERLINE_VAR_DIR": str(tmp_path), "HOME": str(tmp_path)}
    out_wav = tmp_path / "heard.wav"
    proc = subprocess.run([str(Path(sys.executable).parent / "peerline"), "call", "--script", "1,5", "--speak", str(out_wav)],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Welcome to Peerline" in proc.stdout and "> pressed 1" in proc.stdout
    assert "[simulator] error" not in proc.stdout
    assert AudioSegment.from_wav(out_wav).duration_seconds > 5


def test_call_command_is_registered():
    assert main.get_command(None, "call") is call_command


def test_speak_renders_speech_and_played_audio(tapp, tsim, tmp_path):
    from flask import Response
    from pydub.generators import Sine
    from ivr.simulator.speak import render
    tone = tmp_path / "story.wav"
    Sine(500).to_audio_segment(duration=3000).export(tone, format="wav")
    tapp.docs["/story.wav"] = lambda form: Response(tone.read_bytes(), content_type="audio/wav")
    tapp.docs["/voice"] = xml("<Say>Here is a story</Say><Play>/story.wav</Play><Pause length=\"1\"/>")
    call = tsim.call("+15550100001")
    out = tmp_path / "heard.wav"
    with_media = render(call.transcript, out, media=tsim.media_audio)
    without = render(call.transcript, tmp_path / "plain.wav")
    assert with_media - without == pytest.approx(3.0 - 0.4, abs=0.1)  # the story itself, not a stand-in tone
    assert AudioSegment.from_wav(out).duration_seconds == pytest.approx(with_media, abs=0.05)


def test_interactive_records_a_file_then_hangs_up(tapp, tsim, tmp_path):
    from pydub.generators import Sine
    wav = tmp_path / "me.wav"
    Sine(300).to_audio_segment(duration=2000, volume=-20).export(wav, format="wav")
    tapp.docs["/voice"] = xml('<Say>After the beep</Say><Record action="/done"/>')
    tapp.docs["/done"] = lambda form: xml(f'<Say>Got {form["RecordingDuration"]} seconds</Say>'
                                          '<Gather><Say>anything else</Say></Gather>')
    lines = iter([f"rec {wav} #", "q"])
    prompts: list[str] = []
    out: list[str] = []
    call = place_call(tsim, "+15550100001", None, None, echo=out.append,
                      read=lambda prompt: (prompts.append(prompt), next(lines))[1])
    assert prompts[0].startswith("record") and call.said()[1] == "Got 2 seconds"
    assert tapp.form("/done")["Digits"] == "#" and call.ended
