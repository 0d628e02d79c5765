"""ivr.circles.control against the simulator's REST API: transient errors are retried, permanent
ones reported to the facilitator (never dropped), and the roster follows what Twilio did."""
import pytest

from ivr import telephony
from ivr.circles import control as circle_control
from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.extensions import db
from tests.circles.test_circles_sim import in_conference, session_of, start_circle, twilio_truth


def test_with_retries_retries_transient_errors_only():
    calls = []

    def flaky(x):
        calls.append(x)
        if len(calls) < 3:
            raise telephony.TelephonyError("HTTP 503", transient=True)
        return x * 2

    assert circle_control.with_retries(flaky, 21, backoff=0.001) == 42 and len(calls) == 3

    def broken():
        calls.append("broken")
        raise telephony.TelephonyError("HTTP 404", transient=False)

    calls.clear()
    with pytest.raises(telephony.TelephonyError):
        circle_control.with_retries(broken, backoff=0.001)
    assert calls == ["broken"]  # a permanent error is not retried


def test_mute_all_retries_transient_rest_errors(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=4)
    with app.app_context():
        session = session_of(app)
        for p in circle_roster.present(session, role="participant"):
            circle_control.unmute(p)
        db.session.commit()
    sim.faults.rest_error_status = 503
    sim.faults.rest_fail_next = 3
    with app.app_context():
        result = circle_control.mute_all(session_of(app))
        db.session.commit()
        sid = session_of(app).conference_sid
    assert result.ok and len(result.done) == 4
    assert sim.faults.rest_fail_next == 0  # the failures happened, and were retried
    truth = twilio_truth(app, sid)
    assert all(truth[c.sid]["muted"] for c in calls)


def test_permanent_failures_are_reported_to_the_facilitator(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=4)
    fac.press("*")
    sim.faults.rest_error_status = 400
    sim.faults.rest_fail_next = 2
    mark = fac.mark()
    fac.press("2")  # mute everyone
    assert "Sorry, that did not work for 2 people" in fac.since(mark)
    assert "Everyone is muted" not in fac.since(mark)


def test_failures_after_all_retries_are_returned_not_dropped(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=3)
    sim.faults.rest_error_status = 503
    sim.faults.rest_fail_next = 1000
    with app.app_context():
        session = session_of(app)
        done, failed = circle_control.run_bulk(
            telephony.set_muted, [(c.sid, (session.conference_sid, c.sid, False)) for c in calls], backoff=0.001)
    assert done == [] and sorted(k for k, _ in failed) == sorted(c.sid for c in calls)
    assert all("503" in message for _, message in failed)


def test_unmute_next_failure_keeps_the_hand_raised(app, phone, sim):
    fac, calls = start_circle(app, phone, participants=2)
    calls[0].press("*")
    calls[0].press("1")
    assert in_conference(calls[0])
    fac.press("*")
    sim.faults.rest_error_status = 400
    sim.faults.rest_fail_next = 1
    mark = fac.mark()
    fac.press("1")
    assert "did not work for one person" in fac.since(mark)
    with app.app_context():
        assert [p.call_sid for p in circle_roster.hand_queue(session_of(app))] == [calls[0].sid]
    fac.press("1")  # try again: it works now
    with app.app_context():
        assert circle_roster.hand_queue(session_of(app)) == []
        assert circle_roster.participant_for_call(session_of(app), calls[0].sid).muted is False


def test_controls_without_a_conference_say_so(app):
    from tests.circles.test_circles_voice import open_circle
    open_circle(app)
    with app.app_context():
        session = circles.open_session(circles.find_circle(3))
        assert circle_control.mute_all(session).note == "no_conference"
        assert circle_control.unmute_next(session).note == "no_conference"
        assert circle_control.remove_last_speaker(session).note == "no_speaker"
