"""Recording storage behind a small key/value interface (a directory today, an object store later).

Keys are relative, slash-separated names such as "shares/12/original.wav"; they never name
a caller. `storage()` returns the store configured for the running app.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")


class StorageError(ValueError):
    """Raised for a malformed key (e.g. one that tries to leave the store)."""


class Storage(Protocol):
    """What any recording store offers; an object-store backend implements the same five calls."""

    def put(self, key: str, data: bytes | BinaryIO) -> str: ...
    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> bool: ...
    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """Return the key if it is a safe relative name; raise StorageError otherwise."""
    if not isinstance(key, str) or len(key) > 300 or not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """A directory on local disk; writes are atomic (temp file + rename)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file behind a key (for tools such as ffmpeg that want a path)."""
        return self.root / check_key(key)

    def put(self, key: str, data: bytes | BinaryIO) -> str:
        """Store bytes (or a readable file) under key, replacing any previous value."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    out.write(data)
                else:
                    while chunk := data.read(1 << 16):
                        out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        """The bytes stored under key (FileNotFoundError if none)."""
        return self.path(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        """A readable binary file for key (FileNotFoundError if none)."""
        return open(self.path(key), "rb")

    def delete(self, key: str) -> bool:
        """Remove key; True if something was removed (deleting twice is harmless)."""
        target = self.path(key)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        """True when key holds a value."""
        return self.path(key).is_file()


def storage() -> LocalStorage:
    """The store for the running app (STORAGE_DIR)."""
    return LocalStorage(current_app.config["STORAGE_DIR"])
