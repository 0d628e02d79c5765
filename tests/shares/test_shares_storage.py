"""ivr.storage: the local recording store behind put/get/open/delete/exists by key."""
import io

import pytest

from ivr.storage import LocalStorage, StorageError, storage


def test_put_get_open_exists_delete(tmp_path):
    store = LocalStorage(tmp_path)
    assert store.put("shares/1/original.wav", b"RIFF1") == "shares/1/original.wav"
    store.put("shares/1/copy.wav", io.BytesIO(b"RIFF2" * 50_000))  # from a file, in chunks
    assert store.get("shares/1/original.wav") == b"RIFF1"
    with store.open("shares/1/copy.wav") as fh:
        assert fh.read() == b"RIFF2" * 50_000
    assert store.exists("shares/1/original.wav") and not store.exists("shares/2/original.wav")
    store.put("shares/1/original.wav", b"new")  # replaces
    assert store.get("shares/1/original.wav") == b"new"
    assert store.delete("shares/1/original.wav") is True
    assert store.delete("shares/1/original.wav") is False  # twice is harmless
    with pytest.raises(FileNotFoundError):
        store.get("shares/1/original.wav")
    assert [p.name for p in (tmp_path / "shares" / "1").iterdir()] == ["copy.wav"]  # no temp files left


@pytest.mark.parametrize("key", ["../etc/passwd", "shares/../../x", "/abs/path", "", "a//b", ".hidden", "a/..", "a\\b"])
def test_keys_cannot_leave_the_store(tmp_path, key):
    store = LocalStorage(tmp_path)
    with pytest.raises(StorageError):
        store.put(key, b"x")
    with pytest.raises(StorageError):
        store.exists(key)


def test_the_app_store_lives_under_storage_dir(app):
    with app.app_context():
        store = storage()
        store.put("stories/1/audio.wav", b"RIFF")
        assert (store.root / "stories" / "1" / "audio.wav").read_bytes() == b"RIFF"
        assert str(store.root) == app.config["STORAGE_DIR"]
