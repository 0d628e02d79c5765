"""An offline stand-in for Twilio: places signed calls into an app, runs its TwiML, serves the REST API.

It knows nothing of Peerline's flows; it speaks only Twilio's side of the protocol.
"""
from ivr.simulator.call import Call, Entry, Input, parse_script_item  # noqa: F401
from ivr.simulator.core import Number, Simulator, SimulatorError  # noqa: F401
from ivr.simulator.faults import Faults  # noqa: F401
