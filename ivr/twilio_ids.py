"""The shapes of Twilio's ids, checked at the edge before anything is stored or spooled.

Twilio's ids are a two-letter prefix and 32 hex digits (RE… recordings, CA… calls, CF…
conferences). We accept the prefix and 1 to 32 letters or digits (the simulator's and the tests'
short ids fit; `/`, `..`, unicode, spaces and over-long values never do), so an id is always
safe in a URL path, a file name and a database column.
"""
from __future__ import annotations

import re

_SHAPE = {prefix: re.compile(rf"^{prefix}[0-9A-Za-z]{{1,32}}\Z") for prefix in ("RE", "CA", "CF")}


def valid(prefix: str, value: str | None, required: bool = True) -> bool:
    """True when `value` has the shape of a Twilio id with this prefix (or is absent and optional)."""
    if not value:
        return not required
    return bool(_SHAPE[prefix].match(value))
