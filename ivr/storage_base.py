"""What every recording store shares: the key rule, the errors and the Storage protocol."""
from __future__ import annotations

import re
from typing import BinaryIO, Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")


class StorageError(ValueError):
    """Raised for a malformed key (e.g. one that tries to leave the store)."""


class StorageUnavailable(OSError):
    """The store could not be reached or refused us (an OSError, so jobs retry it as transient)."""


class Storage(Protocol):
    """What any recording store offers; both backends implement the same calls."""

    def put(self, key: str, data: bytes | BinaryIO) -> str: ...
    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> bool: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def check(self) -> None: ...


def check_key(key: str) -> str:
    """Return the key if it is a safe relative name; raise StorageError otherwise."""
    if not isinstance(key, str) or len(key) > 300 or not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"bad storage key {key!r}")
    return key
