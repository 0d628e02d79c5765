"""Mute-all and unmute-next on a simulated 250-participant circle, 100 ms of REST latency per call.

Peerline's facilitator controls (ivr.circle_control) run through ivr.telephony and the real
twilio Client against the phone simulator's REST API, which sleeps `--latency-ms` before each
answer, like a Twilio round trip. The same mute-all is run one by one (workers=1) and with
bounded concurrency, in the same run, from the same starting state; then the simulator (Twilio's
side) is asked whether every participant is really muted.

    .venv/bin/python bench/circles_mute.py [--participants 250] [--latency-ms 100] [--workers 16]

Prints seconds for each, the speed-up, the number confirmed muted and the unmute-next latency.
The database is a throwaway SQLite file, migrated with Alembic like production.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def build(tmp: Path, participants: int):
    """An app on a fresh SQLite database, a simulator, and a live circle with N participants."""
    from flask_migrate import upgrade

    from ivr import create_app
    from ivr.circles import domain as circles
    from ivr.circles import roster as circle_roster
    from ivr.extensions import db
    from ivr.simulator import Simulator
    from ivr.simulator.conference import Participant

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "PUBLIC_BASE_URL": "https://peerline.test",
                      "STORAGE_DIR": str(tmp / "storage"), "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade(revision="heads")
    sim = Simulator.in_process(app, base_url=app.config["PUBLIC_BASE_URL"])
    sim.auto_settle = False
    with app.app_context():
        circle = circles.create_circle(number=1, name="Bench", days="0,1,2,3,4,5,6", start_time="00:00",
                                       timezone_name="UTC", duration_min=1439, cap=250)
        session = circles.open_session(circle)
        room = sim.rooms.get_or_create(session.conference_name)
        room.status = "in-progress"
        session.conference_sid = room.sid
        session.status = "live"
        for n in range(participants):
            # Calls that are already on the conference (their IVR path is not what we measure).
            call = sim._new_call(f"+1555030{n:04d}", app.config["TWILIO_NUMBER"], "inbound", None, None, "POST")
            call.status = "in-progress"
            room.participants[call.sid] = Participant(call=call, muted=False, start_on_enter=False,
                                                      label=None)
            row = circle_roster.admit(session, call.sid).participant
            row.connected, row.muted, row.joined_at = True, False, row.created_at
        db.session.commit()
        session_id = session.id
    return app, sim, room, session_id


def unmute_everyone(app, room, session_id):
    """Back to the starting state: everybody unmuted, on Twilio's side and in the roster."""
    from ivr.extensions import db
    from ivr.circles.models import CircleParticipant
    for p in room.participants.values():
        p.muted = False
    with app.app_context():
        db.session.execute(db.update(CircleParticipant).values(muted=False))
        db.session.commit()


def timed_mute_all(app, session_id, workers):
    """Seconds for one mute-all with this many workers, and its ControlResult."""
    from ivr.circles import control as circle_control
    from ivr.extensions import db
    from ivr.circles.models import CircleSession
    with app.app_context():
        session = db.session.get(CircleSession, session_id)
        started = time.perf_counter()
        result = circle_control.mute_all(session, workers=workers)
        elapsed = time.perf_counter() - started
        db.session.commit()
    return elapsed, result


def confirmed_muted(app, room):
    """How many participants Twilio's side (the simulator's REST API) reports muted."""
    from ivr import telephony
    with app.app_context():
        listed = telephony.list_participants(room.sid)
    return sum(1 for p in listed if p["muted"]), len(listed)


def timed_unmute_next(app, session_id, hands=5):
    """Raise `hands` hands, then time unmute-next for each in turn (one REST call + announcement)."""
    from ivr.circles import control as circle_control
    from ivr.circles import roster as circle_roster
    from ivr.extensions import db
    from ivr.circles.models import CircleSession
    times, order, raised = [], [], []
    with app.app_context():
        session = db.session.get(CircleSession, session_id)
        for p in reversed(circle_roster.present(session)[-hands:]):
            circle_roster.toggle_hand(p)
            raised.append(p.call_sid)
            db.session.flush()
            time.sleep(0.002)  # distinct raise times
        db.session.commit()
        for _ in range(hands):
            started = time.perf_counter()
            result = circle_control.unmute_next(session)
            times.append(time.perf_counter() - started)
            assert result.ok, result.failed
            order.append(result.target.call_sid)
            db.session.commit()
    return times, order == raised


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=250)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="peerline-bench-") as tmp:
        app, sim, room, session_id = build(Path(tmp), args.participants)
        sim.faults.rest_latency_ms = args.latency_ms
        print(f"circle: {args.participants} participants, REST latency {args.latency_ms} ms per call")

        seq_s, seq = timed_mute_all(app, session_id, workers=1)
        seq_muted, total = confirmed_muted(app, room)
        print(f"mute-all one by one:        {seq_s:7.2f} s  ({len(seq.done)} ok, {len(seq.failed)} failed, "
              f"{seq_muted}/{total} confirmed muted)")

        unmute_everyone(app, room, session_id)
        par_s, par = timed_mute_all(app, session_id, workers=args.workers)
        par_muted, total = confirmed_muted(app, room)
        print(f"mute-all, {args.workers:2d} concurrent:     {par_s:7.2f} s  ({len(par.done)} ok, "
              f"{len(par.failed)} failed, {par_muted}/{total} confirmed muted)")
        speedup = seq_s / par_s
        print(f"speed-up: {speedup:.1f}x (target >= 8x)")

        times, in_order = timed_unmute_next(app, session_id)
        print(f"unmute-next (one REST call + announcement): median {sorted(times)[len(times) // 2] * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms over {len(times)} hands, first-raised-first order kept: "
              f"{in_order}")
        unmuted = [sid for sid, p in room.participants.items() if not p.muted]
        print(f"after unmute-next x{len(times)}: {len(unmuted)} unmuted on Twilio's side")
        ok = speedup >= 8 and par_muted == total == args.participants and not par.failed
        print("PASS" if ok else "FAIL")
        sim.close()
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
