"""Recordings made by <Record>: stored as 8 kHz mono μ-law WAV, served like Twilio's media."""
from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field

from pydub import AudioSegment
from pydub.silence import detect_leading_silence, detect_silence


@dataclass
class Recording:
    """One recording: its sid, the call it came from and its μ-law WAV bytes."""

    sid: str
    call_sid: str
    account_sid: str
    url: str
    wav: bytes
    duration: int
    created_at: float
    deleted: bool = False
    fetches: int = 0
    meta: dict = field(default_factory=dict)


def to_mulaw_wav(audio: AudioSegment) -> bytes:
    """Encode audio as Twilio stores calls: 8 kHz, mono, G.711 μ-law in a WAV container."""
    pcm = io.BytesIO()
    audio.set_channels(1).set_frame_rate(8000).set_sample_width(2).export(pcm, format="wav")
    return _ffmpeg(pcm.getvalue(), ["-f", "wav", "-acodec", "pcm_mulaw", "-ar", "8000", "-ac", "1"])


def to_mp3(wav: bytes) -> bytes:
    """The .mp3 form of a recording (Twilio serves both)."""
    return _ffmpeg(wav, ["-f", "mp3", "-b:a", "32k"])


def _ffmpeg(data: bytes, out_args: list[str]) -> bytes:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", *out_args, "pipe:1"],
                          input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout


class RecordingStore:
    """Every recording the simulator made, by RecordingSid."""

    def __init__(self, sim):
        self.sim = sim
        self.by_sid: dict[str, Recording] = {}

    def load(self, path: str, trim: bool = True, silence_timeout: int = 0) -> tuple[AudioSegment, bool]:
        """The caller's audio as <Record> keeps it; True when `timeout` seconds of silence ended it."""
        audio = AudioSegment.from_file(path)
        timed_out = False
        if silence_timeout > 0 and len(audio) and audio.dBFS != float("-inf"):
            # Twilio stops recording after `timeout` seconds of silence (before any speech, too).
            gaps = detect_silence(audio, min_silence_len=silence_timeout * 1000, silence_thresh=audio.dBFS - 25)
            if gaps:
                audio, timed_out = audio[: gaps[0][0] + silence_timeout * 1000], True
        elif silence_timeout > 0 and len(audio) >= silence_timeout * 1000:
            audio, timed_out = audio[: silence_timeout * 1000], True
        return self._trim(audio) if trim else audio, timed_out

    @staticmethod
    def _trim(audio: AudioSegment) -> AudioSegment:
        if len(audio):
            # Relative to the file's own loudness: phone audio sits far below pydub's -16 dBFS default.
            if audio.dBFS == float("-inf"):
                return audio[:0]
            threshold = audio.dBFS - 25
            start = detect_leading_silence(audio, silence_threshold=threshold)
            end = detect_leading_silence(audio.reverse(), silence_threshold=threshold)
            audio = audio[start: max(start, len(audio) - end)]
        return audio

    def add(self, call, audio: AudioSegment, element) -> Recording:
        """Store audio recorded on a call and return its Recording."""
        sid = self.sim.new_sid("RE")
        rec = Recording(
            sid=sid,
            call_sid=call.sid,
            account_sid=self.sim.account_sid,
            url=f"{self.sim.api_base}/2010-04-01/Accounts/{self.sim.account_sid}/Recordings/{sid}",
            wav=to_mulaw_wav(audio),
            duration=max(1, round(len(audio) / 1000.0)),
            created_at=self.sim.clock,
        )
        self.by_sid[sid] = rec
        return rec

    def get(self, sid: str) -> Recording | None:
        """A live (not deleted) recording."""
        rec = self.by_sid.get(sid)
        return rec if rec is not None and not rec.deleted else None
