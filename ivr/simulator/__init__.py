"""An offline stand-in for Twilio: places signed calls into an app, runs its TwiML, serves the REST API.

It knows nothing of Peerline's flows; it speaks only Twilio's side of the protocol.

    sim = Simulator.in_process(app, base_url=app.config["PUBLIC_BASE_URL"])   # or Simulator.over_http(sid, token)
    sim.add_number("+15005550006", base + "/voice/incoming", status_callback=base + "/voice/status")
    call = sim.call("+15550101234")                  # returns once the call waits (or has ended)
    call.press("1"); call.say("stories"); call.record("share.wav", finish_key="#"); call.silence()
    call.press("*")                                  # inside <Dial hangupOnStar> leaves the conference leg
    call.heard(), call.said(), call.lines(), call.entries("record"), call.waiting, call.status
    sim.call(number, script=["1", "say stories", "rec share.wav #", "wait", "hangup"])  # a whole call
    sim.dial_outcomes["+1555..."] = ("no-answer", 0);  sim.phone("+1555...", script=[...], answer="busy")
    sim.rooms.named("room"), sim.recordings.get(sid), sim.outbox, sim.delivered, sim.callbacks_of("conference")
    sim.faults.duplicate_callbacks / reorder_callbacks / early_callbacks / hold_callbacks (+ sim.release_callbacks())
              / recording_unavailable_fetches / rest_latency_ms / rest_fail_next / rest_error_rate
    sim.call(number, hangup_after_prompts=2); call.record(wav, hangup=True)   # hang-ups mid-prompt/recording

Drive a simulator from one thread (its REST API may be called from any). Callbacks and REST side
effects are queued and delivered by `sim.settle()`, which runs after every driver step
(auto_settle), never inside the app's request. Strict mode (the default) raises SimulatorError
for application errors and callbacks the app refused.
"""
from ivr.simulator.call import Call, Entry, Input, parse_script_item  # noqa: F401
from ivr.simulator.core import Number, Simulator, SimulatorError  # noqa: F401
from ivr.simulator.faults import Faults  # noqa: F401
