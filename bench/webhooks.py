"""Webhook throughput, latency, capacity and per-request profile: Peerline against a minimal app.

Side by side in one run, under the same gunicorn settings, on PostgreSQL; Peerline served as its
Procfile serves it. Both servers run at once and each round measures both, in turn (--rounds):

  minimal    bench/minimal_ivr.py: Flask returning the same menu TwiML, nothing else
  new call   POST /voice/incoming for a returning caller (saved language), signed like Twilio
  keypress   a menu key (9, then # back, ...) posted to the action URL the last answer gave,
             query string and all, signed like Twilio (exactly what Twilio does)
  mixed      one whole call: incoming + 6 menu keypresses + the status callback

Every request is signed; Peerline checks every signature. Then:

  ratios     throughput of each Peerline measurement / the minimal app's, and p99 at c=50
  capacity   from the measured service time and a modelled caller (one webhook every 8 s in
             menus, one every 60 s while a story plays; --menu-share of the call in menus): how
             many concurrent callers this machine serves with p99 under 300 ms (M/M/c queue)
  profile    where the time of one keypress and one new call goes (in-process, cProfile)

    .venv/bin/python bench/webhooks.py [--calls 600] [--concurrency 50 200] [--workers 4] [--rounds 3]

The code measured is the `ivr` package Python imports (PYTHONPATH decides: point it at another
checkout to measure that code with this same script). The script only uses Peerline's public
code (create_app, `peerline db upgrade`, callers.number_hash) and helpers of its own.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import math
import os
import pstats
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from twilio.request_validator import RequestValidator

BENCH = Path(__file__).resolve().parent
CODE = Path(importlib.util.find_spec("ivr").origin).resolve().parent.parent  # the checkout measured
BIN = Path(sys.executable).parent
TOKEN = "bench-token-0123456789"
PUBLIC = "https://peerline.test"
DB = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerline_bench_webhooks")
HASH_KEY = "bench-caller-hash-key"
ENV = {"DATABASE_URL": DB, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC, "CALLER_HASH_KEY": HASH_KEY,
       "LOG_LEVEL": "WARNING", "CRISIS_NUMBER": "+15550100988"}
MENU_KEYS = ["9", "#", "*", "9", "#", "9"]  # options, back, repeat, options, back, options: menus only
TARGET_P99_S = 0.300
MENU_GAP_S, STORY_GAP_S = 8.0, 60.0


# ---------------------------------------------------------------- set-up

def prepare_database(callers: int) -> None:
    """A fresh database migrated by the release command, with returning callers (saved language)."""
    from sqlalchemy import create_engine, text
    url = urlsplit(DB)
    admin = create_engine(DB.replace(url.path, "/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = url.path.lstrip("/")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    env = {**os.environ, **ENV, "PYTHONPATH": str(CODE)}
    subprocess.run([str(BIN / "peerline"), "db", "upgrade"], env=env, check=True, capture_output=True)
    if (CODE / "ivr" / "calls" / "callers.py").exists():
        from ivr.calls import callers as peerline_callers
    else:  # code from before the feature packages (issue 14), measured for "before" figures
        from ivr import callers as peerline_callers
    engine = create_engine(DB)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO callers (number_hash, language, heard_howto, created_at, last_call_at) "
                          "VALUES (:h, 'en', true, now(), now())"),
                     [{"h": peerline_callers.number_hash(number(i), HASH_KEY)} for i in range(callers)])
    engine.dispose()


def number(i: int) -> str:
    return f"+1555{i % 9000 + 1000:07d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(target: str, port: int, workers: int, threads: int, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, **ENV, "PYTHONPATH": str(CODE)}
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn {target} did not start: {proc.stderr.read().decode()[-2000:]}")


def procfile_target() -> str:
    """The WSGI target the measured checkout's Procfile serves (as deployed), else the app factory."""
    procfile = CODE / "Procfile"
    for line in procfile.read_text().splitlines() if procfile.exists() else []:
        if line.startswith("web:"):
            return line.split()[-1].strip("'\"")
    return "ivr:create_app()"


# ---------------------------------------------------------------- one simulated caller

VALIDATOR = RequestValidator(TOKEN)
ACTION = re.compile(rb'<Gather[^>]*\baction="([^"]+)"')


def form_of(sid: str, i: int, **extra) -> dict:
    return {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": number(i), "To": "+15550001111",
            "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


class Caller:
    """A caller on the line: follows the action URL of each answer, as Twilio does."""

    def __init__(self, session: aiohttp.ClientSession, port: int, sid: str, i: int, latencies: dict):
        self.session, self.port, self.sid, self.i, self.latencies = session, port, sid, i, latencies
        self.next_url = None
        self.errors = 0

    async def post(self, kind: str, url: str, form: dict, expect_gather: bool = True) -> bytes:
        """POST to an absolute public URL (signed over it, like Twilio); time it under `kind`."""
        parts = urlsplit(url)
        target = f"http://127.0.0.1:{self.port}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Twilio-Signature": VALIDATOR.compute_signature(url, form)}
        t0 = time.perf_counter()
        async with self.session.post(target, data=form, headers=headers) as r:
            body = await r.read()
            ok = (r.status == 200 and b"<Gather" in body) if expect_gather else r.status in (200, 204)
        self.latencies.setdefault(kind, []).append(time.perf_counter() - t0)
        if not ok:
            self.errors += 1
        found = ACTION.search(body)
        if found:
            self.next_url = found.group(1).decode().replace("&amp;", "&")
        return body

    async def incoming(self, kind: str = "new call") -> None:
        await self.post(kind, PUBLIC + "/voice/incoming", form_of(self.sid, self.i))

    async def press(self, digit: str, kind: str = "keypress") -> None:
        await self.post(kind, self.next_url, form_of(self.sid, self.i, Digits=digit))

    async def hang_up(self, kind: str, seconds: int) -> None:
        await self.post(kind, PUBLIC + "/voice/status",
                        form_of(self.sid, self.i, CallStatus="completed", CallDuration=str(seconds)),
                        expect_gather=False)


async def run(port: int, scenario: str, calls: int, concurrency: int, run_id: str) -> tuple[float, dict, int]:
    """Drive `calls` callers through a scenario with `concurrency` of them on the line at once."""
    latencies: dict[str, list[float]] = {}
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for n in range(calls):
        queue.put_nowait(n)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        # keypress: every caller's call is set up first, untimed, then only keypresses are timed.
        ready: list[Caller] = []
        if scenario == "keypress":
            async def set_up(n):
                c = Caller(session, port, f"CA{run_id}{n:08d}", n, {})
                await c.incoming("setup")
                ready.append(c)
            for chunk in range(0, calls, concurrency):
                await asyncio.gather(*(set_up(n) for n in range(chunk, min(calls, chunk + concurrency))))
            ready.sort(key=lambda c: c.i)

        async def one_line():
            nonlocal errors
            while not queue.empty():
                n = queue.get_nowait()
                if scenario == "keypress":
                    c = ready[n]
                    c.latencies = latencies
                    for digit in MENU_KEYS:
                        await c.press(digit)
                else:
                    c = Caller(session, port, f"CA{run_id}{n:08d}", n, latencies)
                    await c.incoming()
                    if scenario == "mixed":
                        for digit in MENU_KEYS:
                            await c.press(digit, "keypress")
                        await c.hang_up("status", 60)
                errors += c.errors
        start = time.perf_counter()
        await asyncio.gather(*(one_line() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, errors


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ---------------------------------------------------------------- capacity model

def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a (< c)."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def p99_at(rate: float, service_s: float, servers: int, base_p99_s: float) -> float:
    """p99 response time at `rate` req/s: the unloaded p99 plus the 99th percentile of queueing."""
    a = rate * service_s
    if a >= servers:
        return math.inf
    waiting = erlang_c(servers, a)
    spare = servers / service_s - rate
    wait99 = max(0.0, math.log(waiting / 0.01) / spare) if waiting > 0.01 else 0.0
    return base_p99_s + wait99


def max_rate(service_s: float, servers: int, base_p99_s: float) -> float:
    """The largest request rate whose modelled p99 stays under the target."""
    if base_p99_s >= TARGET_P99_S:
        return 0.0
    lo, hi = 0.0, servers / service_s
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p99_at(mid, service_s, servers, base_p99_s) <= TARGET_P99_S else (lo, mid)
    return lo


# ---------------------------------------------------------------- per-request profile

def where(filename: str) -> str:
    """A profiled function's file, short: from ivr/ inward for Peerline's own, else folder/file."""
    parts = Path(filename).parts
    if "ivr" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("ivr"):])
    return f"{Path(filename).parent.name}/{Path(filename).name}"


def profile(kind: str, n: int) -> None:
    """Profile n requests of one kind in-process (Flask test client, the same signed requests)."""
    os.environ.update(ENV)
    from sqlalchemy import event
    from ivr import create_app
    from ivr.extensions import db
    app = create_app()
    client = app.test_client()
    with app.app_context():
        try:  # every engine the app sends SQL through (the call-bookkeeping pool too, where there is one)
            from ivr.database import engines as app_engines
            engines = app_engines()
        except ImportError:
            engines = [db.engine]
    sql = {"n": 0, "s": 0.0}

    def before(conn, cursor, statement, params, context, many):
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, cursor, statement, params, context, many):
        sql["n"] += 1
        sql["s"] += time.perf_counter() - conn.info.pop("bench_t0")
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)

    def post(url: str, form: dict):
        parts = urlsplit(url)
        headers = {"X-Twilio-Signature": VALIDATOR.compute_signature(url, form)}
        r = client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form, headers=headers)
        found = ACTION.search(r.data)
        return found.group(1).decode().replace("&amp;", "&") if found else None

    urls = []
    for k in range(n):  # calls to press keys in, set up outside the profile
        urls.append(post(PUBLIC + "/voice/incoming", form_of(f"CAprof{kind[:3]}{k:06d}", k)))
    sql.update(n=0, s=0.0)
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for k in range(n):
        if kind == "keypress":
            post(urls[k], form_of(f"CAprof{kind[:3]}{k:06d}", k, Digits="9"))
        else:
            post(PUBLIC + "/voice/incoming", form_of(f"CAprofnew{k:06d}", k))
    profiler.disable()
    wall = (time.perf_counter() - t0) / n
    stats = pstats.Stats(profiler)
    cum: dict[str, float] = {}
    for (filename, _, func), (_, _, _, ct, _) in stats.stats.items():
        key = f"{where(filename)}:{func}"
        cum[key] = max(cum.get(key, 0), ct)

    def share(*names: str) -> float:
        return sum(t for key, t in cum.items() if any(key.endswith(name) for name in names)) / n

    # The outermost WSGI callable: the fast lane in front of Flask where the code has one.
    total = share("ivr/calls/fast_lane.py:__call__") or share("flask/app.py:wsgi_app") or wall
    parts = [
        ("signature check (HMAC over URL + form)",
         share("ivr/signing.py:signed_by_twilio") or share("ivr/signing.py:signature_ok")),
        ("SQL round trips (statements sent)", sql["s"] / n),
        # ivr/engine.py before the feature packages (issue 14), ivr/calls/engine.py after
        ("flow engine (render/handle_input)",
         share("ivr/calls/engine.py:render", "ivr/calls/engine.py:handle_input", "ivr/engine.py:render",
               "ivr/engine.py:handle_input") if kind == "keypress"
         else share("ivr/calls/engine.py:render", "ivr/engine.py:render")),
        ("TwiML to XML text", share("twiml/__init__.py:to_xml")),
        ("commit / session end", share("orm/session.py:commit") + share("orm/scoping.py:remove")),
    ]
    print(f"\nprofile: {kind} ({n} requests in-process, cProfile on; {wall * 1000:.2f} ms per request "
          f"under the profiler; {sql['n'] / n:.1f} SQL statements per request)")
    moves = app.extensions.get("peerline.menu_moves")  # ivr.calls.menu_moves, where the code has it
    if moves is not None:
        print(f"  answers sent from memory {moves.recalled}, built {moves.built} (set-up calls included)")
    for label, seconds in parts:
        print(f"  {label:42s} {seconds * 1000:7.3f} ms  {seconds / total * 100:5.1f}%")
    print("  (parts overlap: the engine's time includes the SQL it sends; the rest is Flask/Werkzeug)")
    print("  top functions by cumulative time per request:")
    ranked = sorted(((t, key) for key, t in cum.items() if "ivr/" in key or "sqlalchemy" in key or "twilio" in key),
                    reverse=True)[:10]
    for t, key in ranked:
        print(f"    {t / n * 1000:7.3f} ms  {key}")
    for engine in engines:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


# ---------------------------------------------------------------- measurement rounds

def measure(plan: dict, ports: dict, args) -> dict[tuple[str, int], dict]:
    """Every measurement once per round, apps alternating; the median round's req/s, all rounds' latencies."""
    rounds: dict[tuple[str, int], list] = {}
    for r in range(args.rounds):
        for app_name, (_, _, measurements) in plan.items():
            for label, scenario in measurements:
                for conc in args.concurrency:
                    run_id = f"{label[:3].replace(' ', '')}{conc}r{r}"
                    elapsed, lat, errors = asyncio.run(run(ports[app_name], scenario, args.calls, conc, run_id))
                    every = [x for kind, xs in lat.items() if kind != "setup" for x in xs]
                    rounds.setdefault((label, conc), []).append((len(every) / elapsed, every, errors))
    results = {}
    for (label, conc), runs in rounds.items():
        rps = statistics.median(x[0] for x in runs)
        every = [x for run_ in runs for x in run_[1]]
        errors = sum(x[2] for x in runs)
        results[(label, conc)] = {"rps": rps, "lat": every, "errors": errors}
        print(f"{label:9s} c={conc:<4d} {rps:8.1f} req/s  p50 {pct(every, 50) * 1000:6.1f} ms  "
              f"p99 {pct(every, 99) * 1000:6.1f} ms  mean {statistics.mean(every) * 1000:6.1f} ms  errors {errors}  "
              f"(rounds: {', '.join(f'{x[0]:.0f}' for x in runs)} req/s)")
    for app_name, (_, _, measurements) in plan.items():
        for label, scenario in measurements:
            # Service time one request at a time (no queueing): the capacity model's floor.
            _, lat, _ = asyncio.run(run(ports[app_name], scenario, 100, 1, f"s{label[:3].replace(' ', '')}"))
            results[(label, 1)] = {"lat": [x for kind, xs in lat.items() if kind != "setup" for x in xs]}
    return results


# ---------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600, help="simulated calls per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--menu-share", type=float, default=0.5,
                        help="share of a modelled call spent in menus (the rest listening to stories)")
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of measurements, apps alternating; req/s is the median round's")
    args = parser.parse_args()
    prepare_database(9000)
    print(f"code measured: {CODE}")
    print(f"gunicorn --workers {args.workers} --threads {args.threads}; {args.calls} calls per measurement, "
          f"{args.rounds} rounds (apps alternating; req/s: the median round; p50/p99: every round's requests); "
          f"{os.cpu_count()} cores shared by server, load generator (and other users of this machine)")
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    target = procfile_target()
    print(f"Peerline served as its Procfile says: {target}")
    plan = {"minimal": ("minimal_ivr:app", BENCH, [("minimal", "mixed")]),
            "peerline": (target, CODE, [("new call", "new call"), ("keypress", "keypress"), ("mixed", "mixed")])}
    # Both servers run side by side (the idle one costs nothing) and every round measures each
    # of them once, so a slow spell of this shared machine falls on both, not on one app's figures.
    ports, procs = {}, []
    try:
        for app_name, (app_target, cwd, _) in plan.items():
            ports[app_name] = free_port()
            procs.append(start_gunicorn(app_target, ports[app_name], args.workers, args.threads, cwd))
            asyncio.run(run(ports[app_name], "mixed", 60, 10, f"w{app_name[:2]}"))  # warm-up
        results = measure(plan, ports, args)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    print(f"load average after the runs: {Path('/proc/loadavg').read_text().strip()}")

    print("\nthroughput vs the minimal app (requests/s; the minimal app answers the mixed call's requests)")
    targets = {"keypress": 0.9, "new call": 0.5, "mixed": 0.75}
    for conc in args.concurrency:
        base = results[("minimal", conc)]["rps"]
        line = "  ".join(f"{label} {results[(label, conc)]['rps'] / base:.2f}x (target >= {t}x)"
                         for label, t in targets.items())
        print(f"c={conc}: {line}")
    if 50 in args.concurrency:
        base99 = pct(results[("minimal", 50)]["lat"], 99)
        line = "  ".join(f"{label} {pct(results[(label, 50)]['lat'], 99) / base99:.2f}x" for label in targets)
        print(f"p99 at c=50 vs minimal's p99 ({base99 * 1000:.1f} ms; target within 2x): {line}")

    # Capacity: peak throughput gives the machine's service capacity; the unloaded p99 the floor.
    per_caller = args.menu_share / MENU_GAP_S + (1 - args.menu_share) / STORY_GAP_S
    servers = os.cpu_count() or 1
    print(f"\ncapacity: callers served with p99 < {TARGET_P99_S * 1000:.0f} ms on this machine. Modelled caller: "
          f"{args.menu_share:.0%} of the call in menus (a webhook every {MENU_GAP_S:.0f} s), the rest in stories "
          f"(every {STORY_GAP_S:.0f} s) = {per_caller:.4f} webhooks/s per caller. M/M/{servers} queue: service "
          f"time = {servers} cores / peak req/s; p99 = unloaded p99 + queueing p99.")
    for label in ("minimal", "mixed", "keypress", "new call"):
        peak = max(results[(label, c)]["rps"] for c in args.concurrency)
        service = servers / peak
        floor = pct(results[(label, 1)]["lat"], 99)
        rate = max_rate(service, servers, floor)
        print(f"  {label:9s} service {service * 1000:6.2f} ms/request (peak {peak:7.1f} req/s), unloaded p99 "
              f"{floor * 1000:6.1f} ms -> {rate:7.1f} req/s -> {rate / per_caller:8.0f} concurrent callers "
              f"({rate / (1 / MENU_GAP_S):6.0f} if all in menus)")

    for kind in ("keypress", "new call"):
        profile(kind, args.profile_requests)


if __name__ == "__main__":
    main()
