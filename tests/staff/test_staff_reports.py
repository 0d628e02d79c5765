"""Reports: every figure over a seeded month against a count made directly from the rows, the
small-count rule, the page and its CSV downloads."""
from __future__ import annotations

import csv
import io
import math
import random
import re
import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ivr import reports
from ivr.calls import tally as call_tally
from ivr.extensions import db
from ivr.calls.models import Call
from ivr.circles.models import Circle, CircleParticipant, CircleReminder, CircleSession
from ivr.shares.models import Share
from ivr.stories.models import Story, Topic
from ivr.reports import figures
from ivr.reports.figures import Count, Figure

START, END = date(2026, 3, 1), date(2026, 3, 31)
NOW = datetime(2026, 4, 20, 12, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def aware(moment):
    return None if moment is None else (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


#: (call sid, step, outcome, moment) of every step the seeded calls passed, for the expected figures.
STEPS: list[tuple[str, str, str | None, datetime]] = []


def pass_step(sid: str, flags: set, step: str, outcome: str | None, moment: datetime) -> None:
    """A seeded call passes a step: counted by the engine's own rule, remembered here for the expectations."""
    STEPS.append((sid, step, outcome, moment))
    call_tally.passed(flags, step, outcome, today=moment.date())


def seed_month(app, seed: int = 16) -> None:
    """Calls, steps, shares, stories, circles, meetings and reminders in and around March 2026."""
    rng = random.Random(seed)
    STEPS.clear()
    with app.app_context():
        days = [START - timedelta(days=2) + timedelta(days=i) for i in range(35)]  # 27 Feb .. 2 Apr
        n = 0
        for day in days:
            for _ in range(rng.choice([0, 1, 2, 3, 6, 9, 14])):
                n += 1
                started = at(day, rng.randrange(24), rng.randrange(60))
                call = Call(call_sid=f"CA{n:032d}", language="en", started_at=started, status="completed")
                db.session.add(call)
                db.session.flush()
                steps = [("incoming", None), ("main_menu", None)]
                for choice in rng.sample(["stories", "circles", "shares", "crisis"], rng.randrange(0, 3)):
                    steps.append((choice, None))
                    if choice == "crisis":
                        steps.append(("crisis", "completed"))  # the dial's result: not a second press
                    if choice == "stories" and rng.random() < 0.5:
                        steps.append(("stories", None))  # the same call choosing again counts once
                flags: set = set()
                for i, (step, outcome) in enumerate(steps):
                    pass_step(call.call_sid, flags, step, outcome, started + timedelta(seconds=20 * i))
        # The range's edges: the last second of February and the first of April are outside.
        for sid, moment in (("CAedge1", at(START, 0) - timedelta(seconds=1)), ("CAedge2", at(END + timedelta(days=1), 0))):
            call = Call(call_sid=sid, language="en", started_at=moment, status="completed")
            db.session.add(call)
            db.session.flush()
            pass_step(sid, set(), "crisis", None, moment)

        calls = list(db.session.execute(select(Call)).scalars())
        statuses = ["queued", "needs_listening", "published", "rejected", "kept_private", "discarded", "withdrawn"]
        tiers = ["crisis", "crisis", "high", "elevated", "personal_details", "clean", "needs_listening"]
        for i in range(140):
            created = at(days[rng.randrange(len(days))], rng.randrange(24), rng.randrange(60))
            status = rng.choice(statuses)
            queued = None if status == "discarded" else created + timedelta(minutes=rng.randrange(1, 30))
            decided = (queued + timedelta(minutes=rng.randrange(5, 3000))
                       if status in ("published", "rejected", "kept_private") else None)
            tier = rng.choice(tiers)
            earlier = [c for c in calls if aware(c.started_at) <= created]
            call = rng.choice(earlier) if earlier and rng.random() < 0.8 else None
            followed = (created + timedelta(minutes=rng.randrange(3, 600))
                        if tier == "crisis" and rng.random() < 0.7 else None)
            db.session.add(Share(reference=f"R{i:05d}", recording_sid=f"RE{i:032d}", language="en", status=status,
                                 created_at=created, queued_at=queued, decided_at=decided, tier=tier,
                                 call_sid=call.call_sid if call else None, followed_up_at=followed,
                                 priority=0, attempts=0, pin_failures=0))

        for t, slug in enumerate(("hope", "grief", "family")):
            topic = Topic(slug=slug, key=str(t + 1), position=t, names={"en": slug, "es": slug})
            db.session.add(topic)
            db.session.flush()
            for j in range(t + 1):
                published = at(START, 9) - timedelta(days=40)
                db.session.add(Story(topic_id=topic.id, title=f"{slug} {j}", language="en", audio_key=f"k{t}{j}",
                                     published_at=published, unpublished_at=published if j == 2 else None,
                                     plays=rng.choice([0, 2, 7, 30]), helped=rng.choice([0, 1, 4, 12])))

        for number, name in ((3, "Grief and loss"), (4, "Evening circle")):
            circle = Circle(number=number, name=name, days="0,2", start_time=time(19, 0), language="en",
                            timezone="UTC", duration_min=60, cap=12)
            db.session.add(circle)
            db.session.flush()
            meetings = 9 if number == 3 else 3
            for k in range(meetings):
                day = START + timedelta(days=3 * k + number - 3) if k < meetings - 1 else START - timedelta(days=5)
                session = CircleSession(circle_id=circle.id, conference_name=f"conf-{number}-{k}",
                                        started_at=at(day, 19), status="ended",
                                        ended_at=at(day, 19) + timedelta(minutes=rng.randrange(20, 75)))
                db.session.add(session)
                db.session.flush()
                for p in range(rng.randrange(0, 11)):
                    db.session.add(CircleParticipant(session_id=session.id, label=f"p-{number}-{k}-{p}",
                                                     call_sid=f"CAp{number}{k}{p}", role="participant",
                                                     joined_at=at(day, 19, 2)))
                db.session.add(CircleParticipant(session_id=session.id, label=f"f-{number}-{k}", call_sid=f"CAf{number}{k}",
                                                 role="facilitator", joined_at=at(day, 18, 59)))
                db.session.add(CircleParticipant(session_id=session.id, label=f"never-{number}-{k}",
                                                 call_sid=f"CAn{number}{k}", role="participant"))  # never joined
            for r in range(12 if number == 3 else 2):
                day = START + timedelta(days=r * 2)
                db.session.add(CircleReminder(circle_id=circle.id, channel="sms", meeting_at=at(day, 19),
                                              remind_at=at(day, 18), status=rng.choice(["sent", "sent", "pending", "failed"]),
                                              sent_at=at(day, 18)))
        db.session.commit()


def expected_from_rows(app) -> dict:
    """Every figure of the report, counted straight from the rows with plain Python."""
    lo, hi = at(START, 0), at(END + timedelta(days=1), 0)
    inside = lambda m: m is not None and lo <= aware(m) < hi  # noqa: E731
    with app.app_context():
        calls = list(db.session.execute(select(Call)).scalars())
        steps = [SimpleNamespace(call_id=sid, step=step, outcome=outcome, at=moment)
                 for sid, step, outcome, moment in STEPS]
        shares = list(db.session.execute(select(Share)).scalars())
        topics = list(db.session.execute(select(Topic)).scalars())
        stories = list(db.session.execute(select(Story)).scalars())
        sessions = list(db.session.execute(select(CircleSession)).scalars())
        people = list(db.session.execute(select(CircleParticipant)).scalars())
        reminders = list(db.session.execute(select(CircleReminder)).scalars())
        circles = {c.id: f"{c.number} · {c.name}" for c in db.session.execute(select(Circle)).scalars()}
        e = {}
        month = [START + timedelta(days=i) for i in range(31)]
        e["calls-per-day"] = [sum(1 for c in calls if inside(c.started_at) and aware(c.started_at).date() == d) for d in month]
        e["calls-by-hour"] = [sum(1 for c in calls if inside(c.started_at) and aware(c.started_at).hour == h) for h in range(24)]
        e["choices"] = [len({s.call_id for s in steps if s.step == step and inside(s.at)})
                        for step in ("stories", "circles", "shares", "crisis")]
        e["crisis-per-day"] = [sum(1 for s in steps if s.step == "crisis" and s.outcome is None and inside(s.at)
                                   and aware(s.at).date() == d) for d in month]
        started = {c.call_sid: aware(c.started_at) for c in calls}
        crisis = [s for s in shares if s.tier == "crisis" and inside(s.created_at) and s.status != "discarded"]
        waits = [(aware(s.followed_up_at) - started.get(s.call_sid, aware(s.created_at))).total_seconds()
                 for s in crisis if s.followed_up_at]
        e["crisis"] = (len(crisis), len(waits), waits)
        e["shares-per-day"] = [sum(1 for s in shares if inside(s.created_at) and s.status != "discarded"
                                   and aware(s.created_at).date() == d) for d in month]
        e["review"] = [(aware(s.decided_at) - aware(s.queued_at or s.created_at)).total_seconds()
                       for s in shares if inside(s.decided_at)]
        queue = []
        for d in month:
            end_of_day = min(at(d + timedelta(days=1), 0), NOW)
            queue.append(sum(1 for s in shares if s.queued_at and aware(s.queued_at) < end_of_day
                             and ((s.decided_at and aware(s.decided_at) >= end_of_day)
                                  or (not s.decided_at and s.status in ("queued", "needs_listening")))))
        e["queue-size"] = queue
        e["stories"] = {t.slug: (sum(1 for s in stories if s.topic_id == t.id and s.published_at and not s.unpublished_at),
                                 sum(s.plays for s in stories if s.topic_id == t.id),
                                 sum(s.helped for s in stories if s.topic_id == t.id)) for t in topics}
        held = [s for s in sessions if inside(s.started_at)]
        e["circles"] = {}
        for cid, name in circles.items():
            mine = [s for s in held if s.circle_id == cid]
            e["circles"][name] = (
                len(mine),
                [sum(1 for p in people if p.session_id == s.id and p.role == "participant" and p.joined_at) for s in mine],
                round(sum((aware(s.ended_at) - aware(s.started_at)).total_seconds() / 60 for s in mine)),
                sum(1 for r in reminders if r.circle_id == cid and r.status == "sent" and inside(r.sent_at)),
            )
    return e


def ns(table) -> list[int]:
    return [row[1].n for row in table.rows]


def test_a_seeded_month_matches_counts_made_from_the_rows(app):
    seed_month(app)
    e = expected_from_rows(app)
    with app.app_context():
        report = reports.build(START, END, now=NOW)
    t = report.tables
    assert [row[0] for row in t["calls-per-day"].rows] == [START + timedelta(days=i) for i in range(31)]
    assert ns(t["calls-per-day"]) == e["calls-per-day"]
    assert sum(e["calls-per-day"]) > 100  # the month is busy enough to mean something
    assert ns(t["calls-by-hour"]) == e["calls-by-hour"]
    assert ns(t["choices"]) == e["choices"] and [r[0] for r in t["choices"].rows] == ["stories", "circles", "shares", "crisis key"]
    assert ns(t["crisis-per-day"]) == e["crisis-per-day"]
    assert sum(e["crisis-per-day"]) == e["choices"][3]  # one press per crisis call in this seed (edges are outside)
    assert ns(t["shares-per-day"]) == e["shares-per-day"]
    assert ns(t["queue-size"]) == e["queue-size"] and max(e["queue-size"]) > 0

    received, followed, waits = e["crisis"]
    crisis = {row[0]: row[1] for row in t["crisis-follow-up"].rows}
    assert crisis["Crisis-tier shares received"].n == received
    assert len(waits) >= figures.SMALL
    assert crisis["Time from the call to follow-up: median"].shown == figures.duration_text(statistics.median(waits))
    p90 = sorted(waits)[math.ceil(0.9 * len(waits)) - 1]
    assert crisis["Time from the call to follow-up: 90th percentile"].shown == figures.duration_text(p90)
    for label, n in (("Followed up", followed), ("Not followed up yet", received - followed)):
        cell = crisis[label]
        assert (cell.n == n) if isinstance(cell, Count) else cell.hidden

    review = {row[0]: row[1] for row in t["review-time"].rows}
    assert review["Shares reviewed"].n == len(e["review"])
    assert review["Median time from the queue to a decision"].shown == figures.duration_text(statistics.median(e["review"]))
    assert review["90th percentile"].shown == figures.duration_text(sorted(e["review"])[math.ceil(0.9 * len(e["review"])) - 1])

    stories = {row[0]: tuple(c.n for c in row[1:]) for row in t["stories-by-topic"].rows}
    assert stories == e["stories"]

    circles = {row[0]: row for row in t["circles"].rows}
    for name, (held, people, minutes, sent) in e["circles"].items():
        row = circles[name]
        for cell, n in ((row[1], held), (row[3], minutes), (row[4], sent)):
            assert (cell.n == n) if isinstance(cell, Count) else cell.hidden
        if len(people) >= figures.SMALL:
            middle = statistics.median(people)
            assert row[2].shown == (figures.FEWER if 0 < middle < figures.SMALL else f"{middle:g}")
        else:
            assert row[2].hidden or row[2].shown == "none"
    total = circles["All circles"]
    assert total[1].n == sum(v[0] for v in e["circles"].values())
    assert total[4].n == sum(v[3] for v in e["circles"].values())


def test_counts_under_five_are_shown_as_fewer_than_five(app):
    assert [Count(n).shown for n in (0, 1, 4, 5, 12)] == ["0", "fewer than 5", "fewer than 5", "5", "12"]
    assert Count(3).plot == 5.0 and Count(7).plot == 7.0  # a chart never draws a small count's true height
    assert figures.median_duration([60, 120, 180, 240]).hidden  # four follow-ups: no median
    assert figures.median_duration([60, 120, 180, 240, 300]).shown == "3 min"
    assert figures.median_count([1, 2, 3, 2, 1]).shown == "fewer than 5"
    # With one small part, a second part is withheld so the small one cannot be worked out from the total.
    parts = figures.guard_parts(Count(9), [Count(2), Count(7)])
    assert parts[0].hidden and parts[1].hidden and isinstance(parts[1], Figure)
    assert figures.guard_parts(Count(9), [Count(9), Count(0)]) == [Count(9), Count(0)]

    # A quiet month through the page and the CSV: three calls on one day, one crisis press.
    with app.app_context():
        for i in range(3):
            call = Call(call_sid=f"CAq{i}", language="en", started_at=at(date(2026, 3, 5), 10, i), status="completed")
            db.session.add(call)
            db.session.flush()
            if i == 0:
                call_tally.passed(set(), "crisis", None, today=date(2026, 3, 5))
        db.session.commit()
        report = reports.build(START, END, now=NOW)
    day = dict(report.tables["calls-per-day"].rows)[date(2026, 3, 5)]
    assert day.n == 3 and day.shown == "fewer than 5"
    csv_rows = report.tables["calls-per-day"].csv_rows()
    assert ["2026-03-05", "fewer than 5"] in csv_rows and ["2026-03-06", "0"] in csv_rows
    assert not any(cell == "3" for row in csv_rows for cell in row[1:])


def test_time_in_stories_shows_only_when_enough_calls_chose_stories(app):
    day = date(2026, 3, 5)
    with app.app_context():
        for _ in range(4):
            call_tally.passed(set(), "stories", None, today=day)
        call_tally.count(call_tally.STORY_SECONDS, today=day, by=600)
        call_tally.count(call_tally.STORY_SECONDS, today=END + timedelta(days=1), by=6000)  # outside the range
        db.session.commit()
        few = dict(reports.build(START, END, now=NOW).tables["time-in-stories"].rows)
        call_tally.passed(set(), "stories", None, today=day)
        db.session.commit()
        enough = dict(reports.build(START, END, now=NOW).tables["time-in-stories"].rows)
    minutes = "Minutes of stories played (all topics together)"
    assert few[minutes].hidden and "fewer than 5" in few[minutes].shown and "10" not in few[minutes].shown
    assert enough["Calls that chose stories"].n == 5 and enough[minutes].shown == "10 min"


def test_the_page_and_csv_for_moderators(app, staff):
    seed_month(app)
    moderator = staff("moderator")
    page = moderator.get("/staff/reports/?start=2026-03-01&end=2026-03-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<svg") == 8 and html.count("<table") == 11  # time in stories is a table without a chart
    # Charts are drawn on the server: the only script is the shared staff.js (focus and errors), none of the page's own.
    assert "fewer than 5" in html and "<svg" in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/staff/staff.js" defer>']
    assert "CA0000" not in html and "R000" not in html  # no call or share identifier on the page
    with app.app_context():
        report = reports.build(START, END)
    for slug, table in report.tables.items():
        response = moderator.get(f"/staff/reports/{slug}.csv?start=2026-03-01&end=2026-03-31")
        assert response.status_code == 200 and response.mimetype == "text/csv", slug
        assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == table.csv_rows(), slug
        assert f"peerline-{slug}-2026-03-01-to-2026-03-31.csv" in response.headers["Content-Disposition"]
    assert moderator.get("/staff/reports/nothing.csv").status_code == 404
    bad = moderator.get("/staff/reports/?start=2026-03-31&end=2026-03-01")
    assert bad.status_code == 422 and "The start date is after the end date." in bad.get_data(as_text=True)
    assert moderator.get("/staff/reports/?start=2020-01-01&end=2026-03-01").status_code == 422
    assert staff("facilitator").get("/staff/reports/").status_code == 403


@pytest.mark.parametrize("start,end,days", [(None, None, 30), ("2026-03-01", "2026-03-01", 1), ("2026-01-01", "2026-12-31", 365)])
def test_date_ranges(start, end, days):
    first, last = reports.parse_range(start, end, today=date(2026, 4, 20))
    assert (last - first).days + 1 == days
    with pytest.raises(reports.RangeError):
        reports.parse_range("2026-13-01", None)
