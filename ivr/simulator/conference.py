"""Conference rooms shared by every simulated call: joins, waits, mutes, holds and status callbacks."""
from __future__ import annotations

from dataclasses import dataclass, field

from ivr.simulator.call import Entry, Wait
from ivr.simulator.executor import (DEFAULT_HOLD_MUSIC, DIAL_NOUNS, VERBS, AppError, Redirected, _bool, _int,
                                    parse_twiml, wait)

#: statusCallbackEvent words -> the StatusCallbackEvent values they subscribe to.
EVENT_WORDS = {
    "start": {"conference-start"},
    "end": {"conference-end"},
    "join": {"participant-join"},
    "leave": {"participant-leave"},
    "mute": {"participant-mute", "participant-unmute"},
    "hold": {"participant-hold", "participant-unhold"},
    "modify": {"participant-modify"},
    "speaker": {"participant-speech-start", "participant-speech-stop"},
    "announcement": {"announcement-end", "announcement-fail"},
}
SOUND_VERBS = {"Say", "Play", "Pause"}
#: Why a leg left -> ReasonParticipantLeft (Twilio's participant-leave field, added in 2023).
LEAVE_REASONS = {
    "participant-hangup": "participant_hung_up",
    "participant-removed-via-api": "participant_kicked",
    "hangup-on-star": "participant_updated_via_twiml",
    "redirected": "participant_updated_via_api",
    "conference-ended": "conference_ended",
}


@dataclass
class Participant:
    """One call's leg in a room."""

    call: object
    muted: bool = False
    hold: bool = False
    start_on_enter: bool = True
    end_on_exit: bool = False
    beep: str = "true"
    label: str | None = None
    coaching: bool = False
    joined_at: float = 0.0


@dataclass
class Room:
    """A conference: created by its first participant, ended when empty or ended by someone."""

    sim: object
    sid: str
    name: str
    created_at: float
    status: str = "init"  # init -> in-progress -> completed
    participants: dict = field(default_factory=dict)  # call sid -> Participant
    status_callback: str | None = None
    status_method: str = "POST"
    events: set = field(default_factory=set)
    max_participants: int = 250
    sequence: int = 0
    ended_reason: str | None = None
    updated_at: float = 0.0

    # -- status callbacks -------------------------------------------------------------------
    def notify(self, event: str, participant: Participant | None = None, **extra) -> None:
        """Queue a conference status callback if the room subscribed to this event."""
        if not self.status_callback or event not in self.events:
            return
        self.sequence += 1
        params = {"AccountSid": self.sim.account_sid, "ConferenceSid": self.sid, "FriendlyName": self.name,
                  "StatusCallbackEvent": event, "SequenceNumber": str(self.sequence),
                  "Timestamp": self.sim.timestamp()}
        if participant is not None:
            params.update({"CallSid": participant.call.sid, "Muted": _tf(participant.muted),
                           "Hold": _tf(participant.hold), "Coaching": _tf(participant.coaching),
                           "EndConferenceOnExit": _tf(participant.end_on_exit),
                           "StartConferenceOnEnter": _tf(participant.start_on_enter)})
            if participant.label:
                params["ParticipantLabel"] = participant.label
        params.update({k: v for k, v in extra.items() if v is not None})
        self.sim.queue_callback("conference", self.status_callback, self.status_method, params,
                                participant.call.sid if participant else None)

    # -- membership -------------------------------------------------------------------------
    def hear(self, text: str, exclude=None) -> None:
        """Every participant but `exclude` hears a tone."""
        for p in self.participants.values():
            if p is not exclude:
                p.call.transcript.append(Entry("beep", text, self.sim.clock))

    def join(self, participant: Participant) -> None:
        """Add a participant; the room starts once two are in and one may start it."""
        self.participants[participant.call.sid] = participant
        participant.call.conference = self
        if participant.beep in {"true", "onEnter"}:
            self.hear("participant joined", exclude=participant)
        self.notify("participant-join", participant)
        self._maybe_start()

    def _maybe_start(self) -> None:
        if self.status != "init" or len(self.participants) < 2:
            return
        if not any(p.start_on_enter for p in self.participants.values()):
            return
        self.status = "in-progress"
        self.notify("conference-start")
        for p in self.participants.values():
            p.call.transcript.append(Entry("conference", f"{self.name} started", self.sim.clock))

    def leave_call(self, call, reason: str) -> None:
        """A participant's leg ends (hang-up, *, removed, redirected)."""
        participant = self.participants.pop(call.sid, None)
        if participant is None:
            return
        call.conference = None
        call.transcript.append(Entry("conference", f"left {self.name} ({reason})", self.sim.clock))
        if participant.beep in {"true", "onExit"}:
            self.hear("participant left")
        self.notify("participant-leave", participant, ReasonParticipantLeft=LEAVE_REASONS.get(reason, reason),
                    ParticipantCallStatus="completed" if reason == "participant-hangup" else "in-progress")
        if self.status == "completed":
            return
        how = "kicked" if reason == "participant-removed-via-api" else "left"
        if participant.end_on_exit and self.status == "in-progress":
            self.end(f"participant-with-end-conference-on-exit-{how}", ending_call=call.sid)
        elif not self.participants:
            self.end(f"last-participant-{how}", ending_call=call.sid)

    def kick(self, call, reason: str) -> None:
        """Take a participant out from outside its call (REST remove, conference end)."""
        self.leave_call(call, reason)
        call.events.append(("left", reason))

    def end(self, reason: str, ending_call: str | None = None) -> None:
        """End the conference: everyone still in leaves, then conference-end."""
        if self.status == "completed":
            return
        self.status = "completed"
        self.ended_reason = reason
        for p in list(self.participants.values()):
            self.kick(p.call, "conference-ended")
        self.notify("conference-end", ReasonConferenceEnded=reason, CallSidEndingConference=ending_call)
        self.sim.rooms.retire(self)

    # -- changes through the REST API -------------------------------------------------------
    def set_muted(self, participant: Participant, muted: bool) -> None:
        """Mute or unmute (a callback only when it changes)."""
        if participant.muted != muted:
            participant.muted = muted
            participant.call.transcript.append(Entry("conference", "muted" if muted else "unmuted", self.sim.clock))
            self.notify("participant-mute" if muted else "participant-unmute", participant)

    def set_hold(self, participant: Participant, hold: bool, hold_url: str | None = None,
                 hold_method: str = "GET") -> None:
        """Put on hold (they hear hold music) or take off hold."""
        if participant.hold == hold:
            return
        participant.hold = hold
        participant.call.transcript.append(Entry("conference", "on hold" if hold else "off hold", self.sim.clock))
        self.notify("participant-hold" if hold else "participant-unhold", participant)
        if hold:
            self.sim.tasks.append(lambda: self.play_url(participant, hold_url or DEFAULT_HOLD_MUSIC, hold_method, "hold"))

    def announce(self, url: str, method: str = "POST", to: Participant | None = None) -> None:
        """Queue an announcement for one participant or the whole room (played after the request)."""
        targets = [to] if to else None
        self.sim.tasks.append(lambda: self._announce(url, method, targets))

    def _announce(self, url: str, method: str, targets) -> None:
        targets = targets or list(self.participants.values())
        results = [self.play_url(p, url, method, "announce") for p in targets if p.call.sid in self.participants]
        ok = all(results)
        self.notify("announcement-end" if ok else "announcement-fail",
                    targets[0] if len(targets) == 1 else None)

    def play_url(self, participant: Participant, url: str, method: str, source: str) -> bool:
        """Fetch a waitUrl/holdUrl/announceUrl and put what it plays into the participant's transcript."""
        call = participant.call
        if url == DEFAULT_HOLD_MUSIC or not self.sim.transport.reaches(url):
            call.transcript.append(Entry("play", url, self.sim.clock, {"source": source, "seconds": None}))
            return True
        params = {**self.sim.call_params(call), "ConferenceSid": self.sid, "FriendlyName": self.name}
        try:
            reply = self.sim.transport.request(method, url, params) if method.upper() == "POST" \
                else self.sim.transport.request("GET", url, params)
        except Exception as exc:  # noqa: BLE001 - Twilio just plays nothing
            call.transcript.append(Entry("error", f"{source} {url}: {exc}", self.sim.clock))
            return False
        if not reply.ok:
            call.transcript.append(Entry("error", f"{source} {url}: HTTP {reply.status}", self.sim.clock))
            self.sim.errors.append(f"{source} URL {url} answered HTTP {reply.status}")
            return False
        if reply.content_type.startswith("audio/"):
            seconds, _ = self.sim.media_length(url)
            call.transcript.append(Entry("play", url, self.sim.clock, {"source": source, "seconds": seconds}))
            return True
        try:
            root = parse_twiml(reply.body, url)
        except AppError as exc:
            call.transcript.append(Entry("error", str(exc), self.sim.clock))
            self.sim.errors.append(str(exc))
            return False
        for el in root:
            if el.tag == "Redirect":  # Twilio loops wait music; once is enough to know what it plays
                continue
            if el.tag not in SOUND_VERBS:
                msg = f"<{el.tag}> is not allowed in a conference {source} URL"
                call.transcript.append(Entry("error", msg, self.sim.clock))
                self.sim.errors.append(msg)
                return False
            gen = VERBS[el.tag](self.sim, call, el, url, source)
            for _ in gen:  # sound verbs never wait
                pass
        return True

    def speak(self, participant: Participant, seconds: float) -> None:
        """A participant talks: speaker events around it."""
        self.notify("participant-speech-start", participant)
        self.sim.clock += seconds
        self.notify("participant-speech-stop", participant)


def _tf(value: bool) -> str:
    return "true" if value else "false"


class Rooms:
    """The account's conferences; a name maps to its live room, ended rooms are kept for the API."""

    def __init__(self, sim):
        self.sim = sim
        self.live: dict[str, Room] = {}
        self.by_sid: dict[str, Room] = {}

    def get_or_create(self, name: str) -> Room:
        """The live room with this name, created on first join."""
        room = self.live.get(name)
        if room is None:
            room = Room(self.sim, self.sim.new_sid("CF"), name, self.sim.clock)
            self.live[name] = room
            self.by_sid[room.sid] = room
        return room

    def retire(self, room: Room) -> None:
        """A completed room's name is free for a new conference."""
        if self.live.get(room.name) is room:
            del self.live[room.name]

    def named(self, name: str) -> Room | None:
        """The live room with this name."""
        return self.live.get(name)


def conference_leg(sim, call, noun, dial, doc_url):
    """<Dial><Conference>: join, wait for the room to start, stay until * / removal / end / hang-up."""
    name = (noun.text or "").strip()
    if not name:
        raise AppError("<Conference> needs a room name")
    room = sim.rooms.get_or_create(name)
    if not room.participants and room.status == "init":
        room.max_participants = _int(noun, "maxParticipants", 250)
    if noun.get("statusCallback") and not room.status_callback:
        # The first participant to name a statusCallback sets it for the room (Twilio's rule).
        room.status_callback = sim.absolute(noun.get("statusCallback"), doc_url)
        room.status_method = noun.get("statusCallbackMethod", "POST").upper()
        words = (noun.get("statusCallbackEvent") or "start end").replace(",", " ").split()
        for word in words:
            if word not in EVENT_WORDS:
                raise AppError(f"<Conference statusCallbackEvent> has unknown event {word!r}")
            room.events |= EVENT_WORDS[word]
    if len(room.participants) >= room.max_participants:
        call.transcript.append(Entry("conference", f"{name} is full", sim.clock))
        return "failed", 0, {}
    participant = Participant(
        call=call,
        muted=_bool(noun.get("muted")),
        start_on_enter=_bool(noun.get("startConferenceOnEnter"), True),
        end_on_exit=_bool(noun.get("endConferenceOnExit")),
        beep=(noun.get("beep") or "true"),
        label=noun.get("participantLabel"),
        coaching=_bool(noun.get("coach")),
        joined_at=sim.clock,
    )
    hangup_on_star = _bool(dial.get("hangupOnStar"))
    call.transcript.append(Entry("conference", f"joined {name}", sim.clock,
                                 {"muted": participant.muted, "room": room.sid}))
    room.join(participant)
    if room.status == "init":
        wait_url = noun.get("waitUrl")
        if wait_url is None:
            wait_url = DEFAULT_HOLD_MUSIC
        if wait_url:
            room.play_url(participant, sim.absolute(wait_url, doc_url), noun.get("waitMethod", "POST"), "wait")
    started = sim.clock
    reason = "participant-hangup"
    abandoned = False
    try:
        while True:
            inp = yield from wait(call, Wait("conference", {"room": name, "hangupOnStar": hangup_on_star}))
            if inp.kind == "digits":
                call.transcript.append(Entry("press", inp.value, sim.clock))
                if hangup_on_star and "*" in inp.value:
                    reason = "hangup-on-star"
                    break
                call.transcript.append(Entry("note", "keys are not passed to the app inside a conference", sim.clock))
            elif inp.kind == "talk":
                room.speak(participant, float(inp.value or 0))
            elif inp.kind == "event" and inp.value[0] == "left":
                reason = inp.value[1]
                break
    except Redirected:
        reason = "redirected"
        raise
    except GeneratorExit:
        abandoned = True  # the simulation is being discarded, nobody left the room
        raise
    finally:
        if not abandoned:
            room.leave_call(call, reason)
    return "completed", sim.clock - started, {"ConferenceSid": room.sid}


DIAL_NOUNS["Conference"] = conference_leg
