"""(d) Latency from Twilio's recording callback to "in the moderation queue", 60 s share, warm worker.

The web side is Peerline's real signed route (/voice/shares/recording) driven like Twilio drives it;
the worker is a running `python -m workers` with the Korean model loaded; the recording is fetched
from the phone simulator's REST API over HTTP, stored, deleted at "Twilio", transcribed and queued.
The clock starts when the callback is posted and stops when the share's status is a moderation
queue status (polled every 50 ms).

    .venv/bin/python bench/callback_latency.py [--seconds 60] [--runs 3]
"""
from __future__ import annotations

import argparse
import time

from _workers_common import (DEFAULT_DB, DEFAULT_REDIS, add_twilio_recording, kill_group, korean_recording,
                             machine_note, make_app, start_worker, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default=DEFAULT_DB)
    args = parser.parse_args()

    from redis import Redis
    from rq import Queue, Worker
    from rq.job import Job
    from twilio.request_validator import RequestValidator

    from ivr import jobs
    from ivr.shares import drafts as share_drafts
    from ivr.shares import domain as shares
    from ivr.extensions import db
    from ivr.calls.models import Call
    from ivr.shares.models import Share
    from ivr.simulator import Simulator

    app = make_app(args.database, DEFAULT_REDIS)
    sim = Simulator.in_process(app, base_url=app.config["PUBLIC_BASE_URL"])
    api_base = sim.serve()
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(app.config["RQ_QUEUE"], connection=connection)
    worker = start_worker(app, "--no-sweep", TWILIO_API_BASE=api_base, LOG_LEVEL="WARNING")
    validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
    web = app.test_client()

    def callback(wav: bytes, seconds: float, n: int) -> tuple[int, float, float]:
        """Post the recording callback for a new share; return (share id, post seconds, total seconds)."""
        sid = add_twilio_recording(sim, wav, duration=int(seconds))
        with app.app_context():
            call = Call(call_sid=f"CA{n:032d}", language="ko", status="in-progress")
            db.session.add(call)
            db.session.flush()
            draft = share_drafts.start_draft(call, consent="private")
            db.session.commit()
            draft_id = draft.id
        path = f"/voice/shares/recording?d={draft_id}"
        form = {"AccountSid": sim.account_sid, "CallSid": f"CA{n:032d}", "RecordingSid": sid,
                "RecordingStatus": "completed", "RecordingDuration": str(int(seconds)),
                "RecordingUrl": f"{api_base}/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}"}
        signature = validator.compute_signature(app.config["PUBLIC_BASE_URL"] + path, form)
        started = time.perf_counter()
        response = web.post(path, data=form, headers={"X-Twilio-Signature": signature})
        posted = time.perf_counter() - started
        assert response.status_code == 204, response.status_code
        with app.app_context():
            share_id = shares.find_by_recording_sid(sid).id
            while True:
                db.session.rollback()
                share = db.session.get(Share, share_id)
                db.session.refresh(share)
                if share.status in shares.QUEUE_STATUSES:
                    break
                if time.perf_counter() - started > 600:
                    raise TimeoutError("share never reached the moderation queue")
                time.sleep(0.05)
        return share_id, posted, time.perf_counter() - started

    try:
        deadline = time.time() + 120
        while not Worker.all(queue=queue) and time.time() < deadline:
            time.sleep(0.2)
        callback(korean_recording(5, seed=20), 5, 0)  # warm-up: the worker's first job
        wav = korean_recording(args.seconds, seed=21)
        totals, posts, waits, runs = [], [], [], []
        for n in range(1, args.runs + 1):
            share_id, posted, total = callback(wav, args.seconds, n)
            with app.app_context():
                share = db.session.get(Share, share_id)
                job = Job.fetch(jobs.share_job_id(share.recording_sid), connection=connection)
            totals.append(total)
            posts.append(posted)
            waits.append((job.started_at - job.enqueued_at).total_seconds())
            runs.append((job.ended_at - job.started_at).total_seconds())
            print(f"run {n}: {total:.2f} s to '{share.status}' (callback answered in {posted * 1000:.0f} ms)")
    finally:
        kill_group(worker)
        sim.close()

    print(f"\n{args.seconds:.0f} s Korean share, warm worker, {args.runs} runs (seconds, median (min-max)):")
    print(f"  callback -> in the moderation queue  {summary(totals)}")
    print(f"  callback request (web)               {summary(posts)}")
    print(f"  enqueued -> job started (fork)       {summary(waits)}")
    print(f"  job run (fetch ... queue)            {summary(runs)}")
    print(machine_note())


if __name__ == "__main__":
    main()
