"""Recording storage behind a small key/value interface: a directory or an S3-compatible object store.

Keys are relative, slash-separated names such as "shares/12/original.wav", built by Peerline from
database ids; they never name a caller. `storage()` returns the store configured for the running
app: STORAGE_URL `s3://bucket/prefix` selects the object store (ivr/storage_s3.py), anything else
(the default) the directory STORAGE_DIR.
"""
from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ivr.storage_base import Storage, StorageError, StorageUnavailable, check_key  # noqa: F401  (re-exported)
from ivr.storage_s3 import S3Storage  # boto3 itself loads only when an S3 store is made

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

    def size(self, key: str) -> int:
        """Bytes stored under key (FileNotFoundError if none)."""
        return self.path(key).stat().st_size

    def describe(self) -> str:
        """Where this store keeps its objects, for messages."""
        return f"directory {self.root}"

    def check(self) -> None:
        """Raise StorageUnavailable (one line, naming the variable) if the directory cannot be written."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"STORAGE_DIR {self.root} cannot be created: {exc.strerror or exc}") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"STORAGE_DIR {self.root} is not writable by this process")


def from_config(config) -> Storage:
    """The store a configuration names: STORAGE_URL s3://bucket/prefix, else the directory STORAGE_DIR."""
    url = config["STORAGE_URL"] or ""
    if url.startswith("s3://"):
        return S3Storage.from_url(url, timeout=float(config["STORAGE_TIMEOUT"]))
    if url.startswith("file://"):
        return LocalStorage(url[len("file://"):])
    if url:
        raise StorageUnavailable(f"STORAGE_URL {url!r} is neither s3://bucket/prefix nor file:///path")
    return LocalStorage(config["STORAGE_DIR"])


def storage() -> Storage:
    """The store for the running app (one per app: the S3 client and its connections are reused)."""
    store = current_app.extensions.get("peerline.storage")
    if store is None:
        store = current_app.extensions["peerline.storage"] = from_config(current_app.config)
    return store


def probe(store: Storage) -> str:
    """Write, read back and delete a probe object; return a one-line summary or raise StorageUnavailable."""
    key = f"probe/{secrets.token_hex(8)}.bin"
    payload = secrets.token_bytes(1024)
    started = time.monotonic()
    store.check()
    store.put(key, payload)
    try:
        if store.get(key) != payload:
            raise StorageUnavailable(f"{store.describe()}: the probe object read back different bytes")
    finally:
        store.delete(key)
    if store.exists(key):
        raise StorageUnavailable(f"{store.describe()}: the probe object is still there after delete")
    return f"storage ok: {store.describe()} (write, read, delete in {(time.monotonic() - started) * 1000:.0f} ms)"
