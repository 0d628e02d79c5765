"""Story audio is streamed to Twilio from either backend with the same headers: the directory and S3
(moto's S3 server as the stand-in)."""
from __future__ import annotations

import pytest

from ivr.stories import domain as stories
from ivr.extensions import db
from tests.stories.factories import add_story, add_topic
from tests.s3_stand_in import s3_stand_in  # noqa: F401 - moto's S3 server


@pytest.fixture(params=["directory", "s3"])
def app_config(request):
    if request.param == "directory":
        return {}
    return {"STORAGE_URL": f"s3://{request.getfixturevalue('s3_stand_in').new_bucket()}/stories"}


def test_story_audio_has_the_same_headers_from_either_backend(app, client):
    with app.app_context():
        story = add_story(add_topic(), "A story about the first winter", seconds=4, text="Spring came back.")
        path, audio = stories.audio_path(story), stories.storage().get(story.audio_key)
        etag, mimetype = story.audio_hash, story.audio_type
        db.session.commit()
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data() == audio and len(audio) > 10_000
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["Content-Length"] == str(len(audio))
    assert response.headers["ETag"] == f'"{etag}"'
    assert set(response.headers["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    again = client.get(path, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.get_data() == b""
