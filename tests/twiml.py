"""Structural TwiML helpers for tests: parse the XML, never compare strings."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET


def parse(response) -> ET.Element:
    """Parse a Flask response as TwiML, checking it is XML Twilio accepts."""
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/xml")
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> str:
    """All <Say> text in document order, joined by spaces."""
    return " ".join((el.text or "").strip() for el in root.iter("Say"))


def gather(root: ET.Element) -> ET.Element:
    """The response's single <Gather>."""
    found = root.findall("Gather")
    assert len(found) == 1, [child.tag for child in root]
    return found[0]


def without_state(url: str) -> str:
    """An action URL without the call-state segment Peerline puts in front of /voice (ivr.call_state)."""
    return re.sub(r"/c/[^/]+(?=/voice/)", "", url)
