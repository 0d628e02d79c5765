"""GET /healthz: can the database (and Redis, when configured) be reached? Answers within 5 s."""
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout

from flask import Blueprint, jsonify

from ivr import database, jobs

bp = Blueprint("health", __name__)
#: The whole check answers within this many seconds, even when a dependency hangs.
HEALTH_DEADLINE_S = 4.0
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")


@bp.get("/healthz")
def healthz():
    """Report each dependency as ok or the error class; 503 if any is down or too slow."""
    checks = {"database": _bounded(_database, database.engine())}
    if jobs.in_background():
        checks["redis"] = _bounded(lambda conn: conn.ping(), jobs.redis_connection())
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), (200 if healthy else 503)


def _database(engine) -> None:
    database.ping(engine, HEALTH_DEADLINE_S)


def _bounded(check, target) -> str:
    """Run one check in a helper thread; a hung dependency reports "timeout" instead of hanging us."""
    future = _pool.submit(check, target)
    try:
        future.result(timeout=HEALTH_DEADLINE_S / 2)
        return "ok"
    except FutureTimeout:
        return "error: timeout"
    except Exception as exc:  # report, never raise: this is the health page
        return f"error: {type(exc).__name__}"
