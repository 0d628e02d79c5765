"""Staff pages for everyone: error pages for every /staff/ URL, the audit log in pages of 50,
lang on Spanish content, labelled numbers, and refused forms that say what was wrong."""
from __future__ import annotations

import re

import pytest

from ivr.extensions import db
from ivr.staff import audit
from tests.conftest import base_config
from tests.shares.factories import make_share, transcript_for
from tests.stories.factories import make_story, make_topic


@pytest.mark.parametrize("path", ["/staff/no-such-page", "/staff/shares/nothing/here", "/staff/admin/audit/x"])
def test_unknown_staff_urls_get_the_staff_404_page(client, staff, path):
    for who in (client, staff("moderator")):
        page = who.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 404
        assert '<meta name="viewport"' in html and "<h1>Not found</h1>" in html and 'href="/staff/"' in html
        assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"


def test_other_unknown_urls_keep_the_plain_404(client):
    page = client.get("/no-such-thing")
    assert page.status_code == 404 and "Peerline staff" not in page.get_data(as_text=True)


def test_a_staff_page_that_breaks_shows_the_staff_500_page(tmp_path, migrated_database):
    from ivr import create_app
    app = create_app(base_config(tmp_path, PROPAGATE_EXCEPTIONS=False))

    @app.get("/staff/boom")
    def boom():
        raise RuntimeError("details that must not be shown")

    page = app.test_client().get("/staff/boom")
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and "Something went wrong" in html and "details that must" not in html
    assert '<meta name="viewport"' in html and 'href="/staff/"' in html


def test_audit_log_is_paged_50_at_a_time(app, staff):
    admin = staff("admin")
    with app.app_context():
        for n in range(120):
            audit.record("share.view", "share", n, actor_label="maya@peerline.test")
        db.session.commit()
    pages = []
    for number in (1, 2, 3):
        html = admin.get(f"/staff/admin/audit?action=share.view&page={number}").get_data(as_text=True)
        pages.append([int(x) for x in re.findall(r"share (\d+)</td>", html)])
        assert ("Older entries" in html) == (number < 3) and ("Newer entries" in html) == (number > 1)
    assert [len(p) for p in pages] == [50, 50, 20]
    assert pages[0][0] == 119 and pages[2][-1] == 0
    assert sorted(sum(pages, [])) == list(range(120))  # nothing skipped or shown twice


def test_spanish_titles_fields_and_transcripts_carry_lang(app, staff):
    topic = make_topic(app)
    with app.app_context():
        from ivr.stories import domain as stories
        from ivr.stories.models import Topic
        from tests.shares.factories import speech_wav
        stories.add_story(db.session.get(Topic, topic), "Una historia", "es", speech_wav("hola"), 2)
        db.session.commit()
    make_story(app, "An English story", topic_id=topic)
    sid = make_share(app, language="es", transcript=transcript_for("me siento mejor ahora"))
    mod = staff("moderator")
    html = mod.get("/staff/stories/").get_data(as_text=True)
    assert '<h2 lang="es">Una historia</h2>' in html and '<h2 lang="en">An English story</h2>' in html
    assert re.search(r'<input id="title-\d+" name="title" value="Una historia"[^>]* lang="es">', html)
    html = mod.get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert re.search(r'<div class="transcript" id="transcript" role="group"[^>]* lang="es">', html)
    assert re.search(r'<input id="title" name="title"[^>]* lang="es">', html)


def test_queue_priority_and_word_flags_are_named(app, staff):
    make_share(app, tier="crisis", priority=90)
    html = staff("moderator").get("/staff/shares/").get_data(as_text=True)
    assert '<small>priority 90</small>' in html  # the number is named in words anyone sees
    sid = make_share(app)
    html = staff("moderator").get(f"/staff/shares/{sid}").get_data(as_text=True)
    assert "(flagged: a first name)" in html
    assert "aria-pressed" not in html  # only in bleep mode, set by the page's script


def test_a_refused_publish_shows_the_page_again_with_the_field_named(app, staff):
    sid = make_share(app)
    make_topic(app)
    page = staff("moderator").post(f"/staff/shares/{sid}/publish", {"title": "  "})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="publish-form"' in html
    assert re.search(r'<p class="flash error" data-fields="topic title">Choose a topic', html)


def test_a_refused_form_elsewhere_shows_a_page_not_a_bare_redirect(app, staff):
    admin = staff("admin")
    page = admin.post("/staff/circles/", {"number": "1", "name": "", "days": "1", "start_time": "19:00"},
                      headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and page.headers["Location"].endswith("/staff/circles/")
    assert "Redirecting..." not in html and "<h1>Not saved</h1>" in html and '<meta name="viewport"' in html
    assert 'class="flash error"' in html and ">Back to the form</a>" in html


def test_a_refused_new_account_names_the_field_at_fault(app, staff):
    page = staff("admin").post("/staff/admin/staff", {"email": "new@peerline.test", "name": "New", "role": "moderator",
                                                      "password": "short"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert re.search(r'<p class="flash error" data-fields="new-password">Passwords need at least 12', html)
    assert 'id="new-password"' in html
