"""Load the flows and prompts named by the configuration and validate them against the actions."""
from ivr.flow_actions import ACTIONS
from ivr.calls.flow import FlowSet, load_flows, validate
from ivr.calls.prompts import Prompts


def load_validated_flows(config: dict) -> FlowSet:
    """The FlowSet for this configuration; raises FlowError listing every problem."""
    flows = load_flows(config["FLOWS_DIR"], Prompts(config["AUDIO_DIR"]))
    validate(flows, set(ACTIONS))
    return flows
