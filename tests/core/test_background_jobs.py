"""ivr/jobs.py: the only place that enqueues; one queue and Redis connection per app, made at
start-up; jobs inline without Redis. Real Redis, a real `python -m workers`, the phone simulator."""
from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job

from ivr import jobs
from ivr.extensions import db
from ivr.shares.models import Share
from tests.conftest import REDIS_URL
from tests.workers.pipeline_support import ROOT, add_twilio_recording, make_share, run_burst_worker, silence_wav

#: rq's ways to put a job on a queue.
ENQUEUE_METHODS = {"enqueue", "enqueue_call", "enqueue_at", "enqueue_in", "enqueue_many", "enqueue_job"}
THE_ONE_PLACE = ROOT / "ivr" / "jobs.py"


def _python_modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def _imported_names(tree: ast.AST, package: str) -> set[str]:
    """Local names bound to `package` or to anything imported from it (`import rq`, `from rq import Queue`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package and not node.level:
            names |= {a.asname or a.name for a in node.names}
    return names


def _root_name(func: ast.expr) -> str | None:
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


def _queue_and_redis_calls(path: Path) -> list[str]:
    """Where a module enqueues with rq, builds an rq Queue, or opens a Redis client."""
    tree = ast.parse(path.read_text(), filename=str(path))
    rq_names, redis_names = _imported_names(tree, "rq"), _imported_names(tree, "redis")
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, where = node.func, f"{path.relative_to(ROOT)}:{node.lineno}"
        if isinstance(func, ast.Attribute) and func.attr in ENQUEUE_METHODS:
            found.append(f"{where} .{func.attr}()")
        elif _root_name(func) in rq_names and (getattr(func, "id", None) or getattr(func, "attr", None)) == "Queue":
            found.append(f"{where} Queue()")
        elif _root_name(func) in redis_names:
            found.append(f"{where} a Redis client")
    return found


def test_only_ivr_jobs_enqueues_builds_a_queue_or_opens_redis():
    modules = _python_modules("ivr", "workers")
    assert THE_ONE_PLACE in modules and len(modules) > 50
    offenders = [hit for path in modules if path != THE_ONE_PLACE for hit in _queue_and_redis_calls(path)]
    assert offenders == []
    # The check itself sees what it looks for.
    assert {hit.split(" ", 1)[1] for hit in _queue_and_redis_calls(THE_ONE_PLACE)} == {
        ".enqueue()", ".enqueue_at()", ".enqueue_in()", "Queue()", "a Redis client"}


def test_ivr_never_imports_workers_at_module_level():
    """The web process never loads workers/ (nor Vosk through it): ivr may import it only inside a function."""
    offenders = []
    for path in _python_modules("ivr"):
        pending = list(ast.parse(path.read_text()).body)
        while pending:
            node = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue  # runs only when called
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("workers", "vosk") for a in node.names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("workers", "vosk"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            pending.extend(ast.iter_child_nodes(node))
    assert offenders == []


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL, "RQ_QUEUE": "jobs-test"}])
def test_enqueues_reuse_the_apps_one_queue_and_connection_and_a_real_worker_runs_them(app, redis_url, sim, tmp_path):
    api_base = sim.serve()  # the worker process reaches "Twilio" over HTTP
    queue = app.task_queue
    assert isinstance(queue, Queue) and queue.name == "jobs-test" and queue.connection is app.redis
    with app.app_context():
        recordings = [add_twilio_recording(sim, silence_wav(1)) for _ in range(2)]
        share_ids = [make_share(recording_sid=sid) for sid in recordings]
        clients = set()
        for share_id, sid in zip(share_ids, recordings):
            jobs.enqueue_forget_twilio_copy(share_id, sid)
            assert jobs.queue() is queue
            clients.add(jobs.redis_connection().client_id())
        assert len(clients) == 1, "every enqueue should go over the app's one pooled connection"
        assert queue.job_ids == [f"forget-{sid}" for sid in recordings]  # ids named in ivr/jobs.py

        log = tmp_path / "worker.log"
        assert run_burst_worker(app, log_path=log, TWILIO_API_BASE=api_base) == 0, log.read_text()

        db.session.rollback()  # see the worker's commits
        db.session.expire_all()
        assert [db.session.get(Share, i).twilio_deleted for i in share_ids] == [True, True], log.read_text()
        assert all(Job.fetch(f"forget-{sid}", connection=app.redis).get_status() == "finished" for sid in recordings)
    assert [sim.recordings.get(sid) for sid in recordings] == [None, None]


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL}])
def test_a_worker_listens_on_the_apps_queue_or_another_over_the_same_connection(app, redis_url):
    assert jobs.worker_queue(app) is app.task_queue and jobs.worker_queue(app, "peerline") is app.task_queue
    other = jobs.worker_queue(app, "elsewhere")  # `python -m workers --queue elsewhere`
    assert other.name == "elsewhere" and other.connection is app.redis


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"REDIS_URL": REDIS_URL, "SHARE_MAX_ATTEMPTS": 4,
                                         "SHARE_RETRY_INTERVALS": "30,120,600", "MAX_SHARE_SECONDS": 180}])
def test_a_share_job_carries_its_retries_timeout_and_dead_letter_time(app, redis_url):
    with app.app_context():
        jobs.enqueue_share_processing(7, "RE" + "a" * 32, 60)
        jobs.enqueue_share_processing(8, "RE" + "b" * 32, None)  # length unknown: the longest allowed
        jobs.enqueue_share_retry(7, "RE" + "a" * 32, 60, datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
        first = jobs.fetch_job("share-RE" + "a" * 32)
        unknown = jobs.fetch_job("share-RE" + "b" * 32)
        retry = jobs.fetch_job(f"share-RE{'a' * 32}-retry-{int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc).timestamp())}")
    assert first.func_name == "workers.share_pipeline.process_share" and first.args == (7,)
    assert first.retries_left == 3 and first.retry_intervals == [30, 120, 600]
    assert first.timeout == 120 + 4 * 60 and unknown.timeout == 120 + 4 * 180
    assert first.failure_ttl == 30 * 24 * 3600
    assert retry.args == (7, True) and retry.retries_left == 3  # forced, from any state, with fresh attempts


def test_without_redis_jobs_run_inline_and_a_failure_is_left_for_the_sweep(app, sim, caplog):
    assert app.task_queue is None and app.redis is None
    with app.app_context():
        sid = add_twilio_recording(sim, silence_wav(1))
        share_id = make_share(recording_sid=sid)
        sim.faults.rest_fail_next, sim.faults.rest_error_status = 1, 503
        jobs.enqueue_forget_twilio_copy(share_id, sid)  # inline: Twilio fails, nothing raised
        assert "inline job ivr.shares.domain.forget_twilio_copy" in caplog.text
        db.session.rollback()
        assert not db.session.get(Share, share_id).twilio_deleted and sim.recordings.get(sid) is not None

        jobs.enqueue_forget_twilio_copy(share_id, sid)  # Twilio answers now: done in-process
        db.session.expire_all()
        assert db.session.get(Share, share_id).twilio_deleted and sim.recordings.get(sid) is None

        # Timed jobs have no inline form (cron's `peerline circles remind` sends reminders); asking is harmless.
        jobs.schedule_reminder(1, datetime.now(timezone.utc))
        assert jobs.fetch_job(f"share-{sid}") is None
        with pytest.raises(RuntimeError, match="REDIS_URL"):
            jobs.queue()
