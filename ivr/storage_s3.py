"""The S3-compatible object store backend (AWS S3, Cloudflare R2, Backblaze B2, MinIO) through boto3.

Selected by STORAGE_URL=s3://bucket/prefix. Credentials, region and endpoint come from boto3's own
standard sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3,
~/.aws), so any S3-compatible service works unchanged. Errors become FileNotFoundError (no such
key) or StorageUnavailable, an OSError, which the jobs treat as transient and retry.
"""
from __future__ import annotations

import io
from typing import BinaryIO
from urllib.parse import urlsplit

from ivr.storage_base import StorageUnavailable, check_key
import logging
import os

#: boto3's own variable for an S3-compatible endpoint; named in error messages.
ENDPOINT_VAR = "AWS_ENDPOINT_URL_S3"
_MISSING = {"NoSuchKey", "404", "NotFound"}
_NO_BUCKET = {"NoSuchBucket"}
_BAD_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403",
                    "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed"}


class S3Storage:
    """Objects under `prefix/` in one bucket; same calls and semantics as the directory store."""

    def __init__(self, bucket: str, prefix: str = "", client=None, timeout: float = 10.0):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or _client(timeout)
        self._versioning: bool | None = None

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> "S3Storage":
        """A store for `s3://bucket/prefix`."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StorageUnavailable(f"STORAGE_URL {url!r} must look like s3://bucket/prefix")
        return cls(parts.netloc, parts.path, timeout=timeout)

    def _key(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def describe(self) -> str:
        """Where this store keeps its objects, for messages."""
        endpoint = self.client.meta.endpoint_url
        return f"s3://{self.bucket}/{self.prefix} at {endpoint}"

    def put(self, key: str, data: bytes | BinaryIO) -> str:
        """Store bytes (or a readable file) under key, replacing any previous value (S3 puts are atomic)."""
        name = self._key(key)
        body = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else data.read()
        self._call("put", key, self.client.put_object, Bucket=self.bucket, Key=name, Body=body)
        return key

    def get(self, key: str) -> bytes:
        """The bytes stored under key (FileNotFoundError if none)."""
        with self.open(key) as fh:
            return fh.read()

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream for key (FileNotFoundError if none); read it in chunks to stream."""
        reply = self._call("get", key, self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        return _Body(reply["Body"], reply["ContentLength"])

    def size(self, key: str) -> int:
        """Bytes stored under key (FileNotFoundError if none)."""
        reply = self._call("head", key, self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        return int(reply["ContentLength"])

    def exists(self, key: str) -> bool:
        """True when key holds a value."""
        try:
            self.size(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> bool:
        """Remove key and, on a versioned bucket, every old version of it; True if something was removed."""
        name = self._key(key)
        existed = self.exists(key)
        self._call("delete", key, self.client.delete_object, Bucket=self.bucket, Key=name)
        # A versioned bucket keeps the old bytes behind a delete marker: remove those too, so a
        # deleted share is really gone. Buckets without versioning (most) skip the listing.
        if not self._versioned():
            return existed
        listing = self._call("delete", key, self.client.list_object_versions, Bucket=self.bucket, Prefix=name)
        for entry in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
            if entry["Key"] == name and entry.get("VersionId") not in (None, "null"):
                self._call("delete", key, self.client.delete_object, Bucket=self.bucket, Key=name,
                           VersionId=entry["VersionId"])
        return existed

    def _versioned(self) -> bool:
        """Whether the bucket keeps old versions (asked once; a service without the call has none)."""
        if self._versioning is None:
            try:
                status = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status")
            except Exception:  # noqa: BLE001 - e.g. R2 has no versioning API: nothing versioned to remove
                status = None
            self._versioning = status in ("Enabled", "Suspended")
        return self._versioning

    def check(self) -> None:
        """Raise StorageUnavailable with one line naming the variable to fix if the bucket is unusable."""
        self._call("check", None, self.client.head_bucket, Bucket=self.bucket)

    def _call(self, action: str, key: str | None, fn, **kwargs):
        """Run one S3 call; translate boto's errors into ours with a message that says what to fix."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError  # botocore: loaded only with an S3 store
        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING and key is not None:
                raise FileNotFoundError(f"no object {key!r} in {self.describe()}") from exc
            if code in _NO_BUCKET or (code in _MISSING and key is None):
                raise StorageUnavailable(f"STORAGE_URL: bucket {self.bucket!r} does not exist at "
                                         f"{self.client.meta.endpoint_url} (create it, or fix the bucket name)") from exc
            if code in _BAD_CREDENTIALS:
                raise StorageUnavailable(f"AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: {self.describe()} refused "
                                         f"the credentials ({code})") from exc
            raise StorageUnavailable(f"{self.describe()}: {action} failed: {code or exc}") from exc
        except NoCredentialsError as exc:
            raise StorageUnavailable("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: no credentials found "
                                     f"for {self.describe()}") from exc
        except EndpointConnectionError as exc:
            raise StorageUnavailable(f"{ENDPOINT_VAR}: cannot reach {self.client.meta.endpoint_url} "
                                     f"({type(exc).__name__})") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"{ENDPOINT_VAR}: {self.describe()}: {exc}") from exc


class _Body(io.RawIOBase):
    """A streaming S3 body as a plain binary file (readinto, context manager, close)."""

    def __init__(self, body, length: int):
        self._body = body
        self.length = int(length)

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer) -> int:
        """Fill buffer from the stream (used by read() and by send_file's chunked reads)."""
        chunk = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        """Read up to size bytes (all when -1)."""
        return self._body.read() if size is None or size < 0 else self._body.read(size)

    def close(self) -> None:
        """Release the connection back to the pool."""
        if not self.closed:
            self._body.close()
        super().close()


def _client(timeout: float):
    """An S3 client from boto3's standard configuration, with bounded timeouts and a few retries."""

    import boto3  # boto3 loads only when an S3 store is made (the directory store never needs it)
    from botocore.config import Config  # with boto3 above
    # botocore logs where it found credentials at INFO on every client: keep our logs about us.
    if logging.getLogger("botocore").level == logging.NOTSET:
        logging.getLogger("botocore").setLevel(logging.WARNING)
    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": "path"} if _custom_endpoint() else None)
    return boto3.session.Session().client("s3", config=config)


def _custom_endpoint() -> bool:
    return bool(os.environ.get(ENDPOINT_VAR) or os.environ.get("AWS_ENDPOINT_URL"))
