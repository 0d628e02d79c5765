"""axe-core over every staff page variant in Debian's Chromium, at 1280 and 390 px: no WCAG 2.1 A/AA
violation, no sideways scrolling on a phone, and a per-page summary printed for the closing note."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from ivr.circles import domain as circles
from ivr.circles import roster as circle_roster
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.circles.models import Circle
from ivr.staff import audit
from tests.staff import axe
from tests.circles.factories import open_circle
from tests.staff.conftest import PASSWORD, make_staff
from tests.shares.factories import make_share, screening_for, transcript_for
from tests.stories.factories import make_story, make_topic

pytestmark = pytest.mark.browser
SPANISH = "me llamo Robin y mi número es cinco cinco cinco uno dos y ahora me siento mejor"


def build_world(app) -> dict:
    """One of everything a staff page can show: shares in each state, stories in two languages,
    a live circle with people on it, a circle not meeting, and more audit entries than one page holds."""
    ids = {"admin": make_staff(app, "admin", name="Ada"), "moderator": make_staff(app, "moderator", name="Maya"),
           "facilitator": make_staff(app, "facilitator", name="Sam")}
    topic = make_topic(app, "hope", "1")
    ids["share"] = make_share(app, tier="crisis", priority=90)
    ids["share_es"] = make_share(app, language="es", transcript=transcript_for(SPANISH),
                                 screening=screening_for())
    ids["share_private"] = make_share(app, consent="private", tier="high", priority=40)
    ids["share_failed"] = make_share(app, processed=False)
    story_id = make_story(app, "A story of hope", topic_id=topic)
    ids.update(_replies(app, story_id))
    with app.app_context():
        shares.mark_failed(ids["share_failed"], "decode: not audio")
        from ivr.stories import domain as stories
        from ivr.stories.models import Topic
        from tests.shares.factories import speech_wav
        stories.add_story(db.session.get(Topic, topic), "Una historia de esperanza", "es", speech_wav("hola"), 2)
        db.session.commit()
    ids["circle"] = open_circle(app, ids["facilitator"])
    ids["quiet_circle"] = open_circle(app, ids["facilitator"], number=4, name="Círculo de los martes")
    with app.app_context():
        session = circles.open_session(db.session.get(Circle, ids["circle"]))
        for n in range(3):
            p = circle_roster.admit(session, f"CA{n:032d}").participant
            p.connected = True
            if n == 1:
                circle_roster.toggle_hand(p)
        for n in range(60):
            audit.record("share.view", "share", n, actor_label="maya@peerline.test")
        db.session.commit()
    return ids


def _replies(app, story_id: int) -> dict:
    """Replies to a story (issue 17): one waiting in the queue, one passed on for everyone and one for
    the storyteller only (the stories page lists them), and one whose story was deleted."""
    from ivr.stories import replies
    from tests.shares.factories import speech_wav
    made = {name: make_share(app) for name in ("reply", "reply_everyone", "reply_private", "reply_orphan")}
    with app.app_context():
        for name, share_id in made.items():
            share = shares.get(share_id)
            share.is_reply = True
            share.reply_to_story_id = None if name == "reply_orphan" else story_id
        db.session.flush()
        replies.deliver(shares.get(made["reply_everyone"]), speech_wav("thank you"), "published", "staff:1")
        replies.deliver(shares.get(made["reply_private"]), speech_wav("thank you"), "kept_private", "staff:1")
        db.session.commit()
    return made


def pages(ids: dict) -> dict[str, list[tuple[str, str]]]:
    """Every page variant to check, by the role that sees it: (name, path)."""
    return {
        None: [("sign-in", "/staff/login"), ("sign-in, wrong password", "!wrong-password"),
               ("not found, signed out", "/staff/no-such-page")],
        "moderator": [
            ("start (moderator)", "/staff/"), ("queue", "/staff/shares/"),
            ("queue, filtered to nothing", "/staff/shares/?tier=low&language=xx"),
            ("share: crisis, publishable", f"/staff/shares/{ids['share']}"),
            ("share: Spanish", f"/staff/shares/{ids['share_es']}"),
            ("share: private", f"/staff/shares/{ids['share_private']}"),
            ("share: failed", f"/staff/shares/{ids['share_failed']}"),
            ("share: a reply, waiting", f"/staff/shares/{ids['reply']}"),
            ("share: a reply, passed on", f"/staff/shares/{ids['reply_everyone']}"),
            ("share: a reply to a deleted story", f"/staff/shares/{ids['reply_orphan']}"),
            ("stories", "/staff/stories/"), ("not allowed (403)", "/staff/admin/staff"),
            ("not found (unknown URL)", "/staff/nothing/here"),
        ],
        "facilitator": [
            ("start (facilitator)", "/staff/"), ("circles (facilitator)", "/staff/circles/"),
            ("console: live", f"/staff/circles/{ids['circle']}/console"),
            ("console: not meeting", f"/staff/circles/{ids['quiet_circle']}/console"),
        ],
        "admin": [
            ("start (admin)", "/staff/"), ("circles (admin)", "/staff/circles/"),
            ("circle detail (admin)", f"/staff/circles/{ids['circle']}"),
            ("staff accounts", "/staff/admin/staff"), ("audit log", "/staff/admin/audit"),
            ("audit log, page 2", "/staff/admin/audit?page=2"),
        ],
    }


def sign_in(browser, base: str, email: str, password: str = PASSWORD, expect: str = "Start") -> None:
    """Sign in through the form, from the keyboard."""
    browser.delete_all_cookies()
    browser.get(base + "/staff/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.title_contains(expect))


def test_every_staff_page_passes_axe_at_both_widths(app, live_server, browser, capsys):
    ids = build_world(app)
    results = []
    for role, variants in pages(ids).items():
        if role:
            sign_in(browser, live_server.url, f"{role}@peerline.test")
        else:
            browser.delete_all_cookies()
        for name, path in variants:
            for width in axe.WIDTHS:
                axe.set_width(browser, width)
                if path == "!wrong-password":
                    sign_in(browser, live_server.url, "moderator@peerline.test", "wrong wrong wrong", expect="Sign in")
                    browser.delete_all_cookies()
                else:
                    browser.get(live_server.url + path)
                WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
                assert browser.find_elements(By.CSS_SELECTOR, 'meta[name="viewport"]'), (name, "no viewport tag")
                results.append(axe.run(browser, name, width))
    with capsys.disabled():
        print(f"\naxe-core {results[0].version}, WCAG 2.1 A/AA, {len(results) // 2} staff page variants x 2 widths")
        for r in results:
            print("  " + r.line())
    assert results[0].version == axe.vendored_version()
    assert len(results) >= 2 * 20
    failures = [r for r in results if r.violations]
    assert not failures, "\n".join(r.details() for r in failures)
    wide = [(r.page, r.width, r.overflow) for r in results if r.overflow > 0]
    assert not wide, f"pages scroll sideways: {wide}"


def test_the_check_catches_a_violation(browser):
    """The harness is no rubber stamp: a page with an unlabelled image and no language fails."""
    browser.get("data:text/html,<title>x</title><img src='data:,'><button></button>")
    result = axe.run(browser, "broken page", 390)
    assert {"image-alt", "html-has-lang", "button-name"} <= {v["id"] for v in result.violations}
