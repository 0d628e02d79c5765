"""The storage contract, run against both backends: the directory and S3 (moto's server as the stand-in).

Same calls, same answers: put/get/open/exists/size/delete, keys that cannot leave the store, deletes
that really delete, one-line errors naming what to fix, story audio streamed with the same headers.
"""
from __future__ import annotations

import io

import pytest

from ivr.config import load_config
from ivr.storage import LocalStorage, StorageError, StorageUnavailable, from_config, probe
from ivr.storage_s3 import S3Storage
from tests.s3_stand_in import s3_stand_in  # noqa: F401 - the moto S3 server fixture

BACKENDS = ["directory", "s3"]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """A fresh, empty store of each kind."""
    if request.param == "directory":
        return LocalStorage(tmp_path / "store")
    stand_in = request.getfixturevalue("s3_stand_in")
    return S3Storage(stand_in.new_bucket(), "peerline/test")


def test_put_get_open_exists_size_delete(store):
    assert store.put("shares/1/original.wav", b"RIFF1") == "shares/1/original.wav"
    store.put("shares/1/copy.wav", io.BytesIO(b"RIFF2" * 50_000))  # from a file
    assert store.get("shares/1/original.wav") == b"RIFF1"
    with store.open("shares/1/copy.wav") as fh:
        assert fh.read(5) == b"RIFF2"
        assert fh.read() == b"RIFF2" * 49_999
    assert store.size("shares/1/copy.wav") == 250_000
    assert store.exists("shares/1/original.wav") and not store.exists("shares/2/original.wav")
    store.put("shares/1/original.wav", b"new")  # replaces
    assert store.get("shares/1/original.wav") == b"new"
    assert store.delete("shares/1/original.wav") is True
    assert store.delete("shares/1/original.wav") is False  # twice is harmless
    assert not store.exists("shares/1/original.wav")
    for read in (store.get, store.open, store.size):
        with pytest.raises(FileNotFoundError):
            read("shares/1/original.wav")
    assert store.get("shares/1/copy.wav") == b"RIFF2" * 50_000  # the neighbour is untouched


@pytest.mark.parametrize("key", ["../etc/passwd", "shares/../../x", "/abs/path", "", "a//b", ".hidden", "a/..", "a\\b"])
def test_keys_cannot_leave_the_store(store, key):
    with pytest.raises(StorageError):
        store.put(key, b"x")
    with pytest.raises(StorageError):
        store.exists(key)
    with pytest.raises(StorageError):
        store.delete(key)


def test_the_probe_writes_reads_and_deletes(store):
    line = probe(store)
    assert line.startswith("storage ok: ") and "\n" not in line
    assert not store.exists("probe")


def test_s3_keys_live_under_the_prefix(s3_stand_in):
    bucket = s3_stand_in.new_bucket()
    S3Storage(bucket, "/tenant/a/").put("stories/1/audio.wav", b"RIFF")
    names = [o["Key"] for o in s3_stand_in.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert names == ["tenant/a/stories/1/audio.wav"]


def test_a_delete_on_a_versioned_bucket_leaves_no_old_version(s3_stand_in):
    bucket = s3_stand_in.new_bucket(versioned=True)
    store = S3Storage(bucket, "p")
    store.put("shares/9/original.audio", b"first take")
    store.put("shares/9/original.audio", b"second take")
    assert store.delete("shares/9/original.audio") is True
    listing = s3_stand_in.client().list_object_versions(Bucket=bucket)
    assert listing.get("Versions", []) == [] and listing.get("DeleteMarkers", []) == []


def _config(**settings) -> dict:
    return load_config(settings, environ={})


def test_storage_url_selects_the_backend(tmp_path, s3_stand_in):
    assert isinstance(from_config(_config(STORAGE_DIR=str(tmp_path))), LocalStorage)
    assert from_config(_config(STORAGE_URL=f"file://{tmp_path}/x", STORAGE_DIR="unused")).root == tmp_path / "x"
    s3 = from_config(_config(STORAGE_URL="s3://my-bucket/some/prefix", STORAGE_DIR="unused"))
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("my-bucket", "some/prefix")
    assert s3.client.meta.endpoint_url == s3_stand_in.endpoint  # boto3's standard AWS_ENDPOINT_URL_S3
    with pytest.raises(StorageUnavailable, match="STORAGE_URL"):
        from_config(_config(STORAGE_URL="ftp://nope", STORAGE_DIR="unused"))


def test_a_missing_bucket_is_one_line_naming_storage_url(s3_stand_in):
    with pytest.raises(StorageUnavailable) as info:
        S3Storage("no-such-bucket-here", "p").check()
    message = str(info.value)
    assert message.startswith("STORAGE_URL:") and "no-such-bucket-here" in message and "\n" not in message


def test_an_unreachable_endpoint_names_aws_endpoint_url_s3(s3_stand_in, monkeypatch):
    from tests.s3_stand_in import free_port
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    store = S3Storage.from_url("s3://bucket/p", timeout=1)
    with pytest.raises(StorageUnavailable) as info:
        store.put("shares/1/original.audio", b"x")
    assert str(info.value).startswith("AWS_ENDPOINT_URL_S3: cannot reach http://127.0.0.1:")
    assert isinstance(info.value, OSError)  # so a job treats it as transient and retries


def test_missing_credentials_name_the_variables(s3_stand_in, monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws either
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(StorageUnavailable, match=r"^AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: no credentials"):
        S3Storage.from_url("s3://bucket/p").check()


def test_production_refuses_to_start_on_a_missing_bucket_development_warns(s3_stand_in, tmp_path, caplog):
    from ivr import create_app
    from ivr.config import ConfigError
    from tests.conftest import base_config
    config = base_config(tmp_path, STORAGE_URL="s3://no-such-bucket-at-start/p")
    app = create_app(config)  # development: starts, and says why storage will fail
    assert app is not None
    assert any("storage is not usable: STORAGE_URL: bucket 'no-such-bucket-at-start'" in r.getMessage()
               for r in caplog.records)
    with pytest.raises(ConfigError, match="refuses to start: STORAGE_URL: bucket 'no-such-bucket-at-start'"):
        create_app({**config, "PEERLINE_ENV": "production"})


def test_the_storage_check_command_says_ok_or_what_is_wrong(s3_stand_in, tmp_path):
    from ivr import create_app
    from tests.conftest import base_config, cli_runner
    bucket = s3_stand_in.new_bucket()
    good = cli_runner(create_app(base_config(tmp_path, STORAGE_URL=f"s3://{bucket}/p")))
    result = good.invoke(args=["storage", "check"])
    assert result.exit_code == 0 and result.output.startswith(f"storage ok: s3://{bucket}/p at "), result.output
    assert "Contents" not in s3_stand_in.client().list_objects_v2(Bucket=bucket)  # the probe is gone
    bad = create_app(base_config(tmp_path, STORAGE_URL="s3://absent-bucket/p", STORAGE_CHECK_AT_START="0"))
    result = cli_runner(bad).invoke(args=["storage", "check"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("storage check failed: STORAGE_URL: bucket 'absent-bucket' does not exist")
