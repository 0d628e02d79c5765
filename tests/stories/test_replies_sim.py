"""Replies to stories, as whole calls through the phone simulator, with the database checked after each:
a reply kept and moderated, published and heard by a third caller, a storyteller hearing counts and a
private reply (by caller ID and by reference + PIN), replies turned off, deleting a story and a reply,
and a crisis-tier reply alerting on-call. Audio is espeak-ng speech; processing is the worker's job."""
import pytest
from sqlalchemy import select

from ivr.stories import replies
from ivr.shares import domain as shares
from ivr.extensions import db
from ivr.shares.models import OncallAlert, Share, ShareAudit
from ivr.storage import storage
from tests.stories.replies_support import (LISTENER, STORY_TITLE, STORYTELLER, THIRD, crisis_processing, delivered_reply, leave_reply, process, reply_rows, storyteller_story, story_row, to_the_story)
from tests.stories.factories import returning_caller
from tests.staff.conftest import StaffClient


@pytest.fixture
def app_config(redis_url):
    """Processing jobs wait on a real Redis queue (the test runs them); on-call has a number."""
    return {"REDIS_URL": redis_url, "ONCALL_NUMBER": "+15550100111"}


@pytest.fixture
def told(app):
    """The storyteller's story, and a listener who knows the line."""
    ids = storyteller_story(app)
    returning_caller(app, LISTENER)
    return ids


@pytest.fixture
def moderator(app):
    """A signed-in moderator."""
    return StaffClient(app, "moderator")


def queued(app):
    """Job ids waiting on the rq queue."""
    with app.app_context():
        from ivr.jobs import queue
        return sorted(queue().job_ids)


def replied(phone, app, told, **choices) -> Share:
    """The listener hears the story and leaves a reply; returns the reply share."""
    call = phone(LISTENER)
    to_the_story(call)
    leave_reply(call, **choices)
    assert "Thank you for your reply" in call.heard()
    call.hangup()
    (reply,) = reply_rows(app)
    return reply


def pass_on(app, moderator, reply: Share, audience: str) -> None:
    """The worker processes the reply, then a moderator passes it on through the staff page."""
    assert process(app, reply.id) == "needs_listening"  # no English model in the tests: a person listens
    page = moderator.get(f"/staff/shares/{reply.id}").get_data(as_text=True)
    assert "Reply to story" in page and STORY_TITLE in page
    response = moderator.post(f"/staff/shares/{reply.id}/deliver-reply", {"audience": audience, "bleep": ""})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_reply_is_kept_marked_with_its_story_and_moderated(phone, app, sim, told, moderator):
    call = phone(LISTENER)
    to_the_story(call)
    assert "To reply to the person who shared this, press 7. For the crisis line, press 0." in call.heard()
    leave_reply(call, audience="1", voice="1")
    assert "After the beep, speak for up to a minute and a half." in call.heard()
    assert "Thank you for your reply. Our team will hear it first." in call.heard()
    assert call.said()[-1] == "To go back, press pound. For the crisis line, press 0."
    call.hangup()
    (reply,) = reply_rows(app)
    assert (reply.reply_to_story_id, reply.consent, reply.disguise, reply.status) == (told["story"], "private", True, "received")
    assert reply.caller_id is not None and reply.duration_s >= 2
    assert queued(app) == [f"share-{reply.recording_sid}"]
    # In the moderation queue, marked as a reply with its story linked.
    assert process(app, reply.id) == "needs_listening"
    queue_page = moderator.get("/staff/shares/").get_data(as_text=True)
    assert f"#{reply.reference}" in queue_page and f"story-{told['story']}" in queue_page and ">Reply<" in queue_page
    # A private reply cannot be published for everyone, nor made a story of its own.
    assert moderator.post(f"/staff/shares/{reply.id}/deliver-reply", {"audience": "everyone"}).status_code == 409
    assert moderator.post(f"/staff/shares/{reply.id}/publish", {"topic_id": "1", "title": "x"}).status_code == 409
    assert moderator.post(f"/staff/shares/{reply.id}/keep-private").status_code == 409
    assert reply_rows(app)[0].status == "needs_listening"
    assert moderator.post(f"/staff/shares/{reply.id}/deliver-reply", {"audience": "storyteller"}).status_code == 302
    (reply,) = reply_rows(app)
    assert reply.status == "kept_private" and reply.reply_audio_key and reply.decided_by
    with app.app_context():
        assert storage().exists(reply.reply_audio_key) and storage().get(reply.reply_audio_key)[:4] == b"RIFF"
    stories_page = moderator.get("/staff/stories/").get_data(as_text=True)
    assert f"#{reply.reference}" in stories_page and "Passed on to the storyteller only" in stories_page
    assert not sim.errors


def test_a_published_reply_is_heard_by_a_third_caller_newest_first(phone, app, sim, told, moderator):
    reply = replied(phone, app, told, audience="2")
    assert reply.consent == "library"
    pass_on(app, moderator, reply, "everyone")
    returning_caller(app, THIRD)
    call = phone(THIRD)
    to_the_story(call)
    assert "There is 1 reply. To hear it, press 8." in call.heard()
    mark = call.mark()
    call.press("8")
    assert call.since(mark).startswith("Replies to this story, newest first. Reply 1 of 1.")
    played = call.entries("play")[-1]
    assert f"/audio/replies/{reply.id}-" in played.text and played.attrs.get("seconds", 0) > 2  # real audio fetched
    call.press("5")  # again
    assert call.entries("play")[-1].text == played.text
    call.press("#")  # back to the story's keys
    assert "Press 6 for the next story" in call.since(mark)
    call.hangup()
    # Unpublishing the story hides its replies from listeners, and their audio stops answering.
    with app.app_context():
        from ivr.stories import domain as stories
        stories.unpublish(told["story"])
        db.session.commit()
        assert replies.published(db.session.get(stories.Story, told["story"])) == []
    assert not sim.errors


def test_storyteller_hears_counts_and_a_private_reply(phone, app, sim, told, moderator):
    reply = replied(phone, app, told, audience="1")
    pass_on(app, moderator, reply, "storyteller")
    listener = phone(LISTENER)  # a listener does not hear a private reply
    to_the_story(listener)
    assert "To hear them, press 8" not in listener.heard() and "To hear it, press 8" not in listener.heard()
    listener.press("3")  # this helped me
    listener.hangup()
    call = phone(STORYTELLER)
    call.press("9")
    assert "To hear about your story and its replies, press 5." in call.heard()
    mark = call.mark()
    call.press("5")
    heard = call.since(mark)
    assert f"Your story: {STORY_TITLE}." in heard
    assert "It was played 2 times." in heard  # the replier and the listener
    assert "A listener said it helped them." in heard and "1 reply is here for you." in heard
    assert "To hear the replies, press 1." in heard and LISTENER not in heard
    call.press("1")
    played = call.entries("play")[-1]
    assert f"/audio/replies/{reply.id}-" in played.text and played.attrs.get("seconds", 0) > 2
    call.silence()
    assert "That was the last reply." in call.heard()
    call.press("#")
    assert call.said()[-1].startswith("Options.")
    call.hangup()
    assert not sim.errors


def test_storyteller_with_a_withheld_number_uses_reference_and_pin(phone, app, sim):
    ids = storyteller_story(app, number=None, pin="4321")
    call = phone("anonymous")
    call.press("1")  # language
    call.press("1")  # skip the tip
    call.press("9")
    call.press("5")
    assert "Please enter the six digit number of your message" in call.heard()
    call.press(ids["reference"] + "#")
    call.press("9999#")
    assert "do not match a story" in call.heard()
    call.press(ids["reference"] + "#")
    call.press("4321#")
    assert f"Your story: {STORY_TITLE}." in call.heard() and "There are no replies for you yet." in call.heard()
    call.press("2")  # replies off, by phone
    assert story_row(app, ids["story"]).replies_open is False
    call.hangup()
    assert not sim.errors


def test_replies_off_stops_new_replies_and_hides_published_ones(phone, app, sim, told, moderator):
    reply = replied(phone, app, told, audience="2")
    pass_on(app, moderator, reply, "everyone")
    call = phone(STORYTELLER)
    call.press("9")
    call.press("5")
    call.press("2")
    assert "Replies are now off." in call.heard() and "To let people reply again, press 2." in call.heard()
    call.hangup()
    assert story_row(app, told["story"]).replies_open is False
    returning_caller(app, THIRD)
    listener = phone(THIRD)
    to_the_story(listener)
    assert "press 7" not in listener.heard() and "press 8" not in listener.heard()
    listener.press("7")
    assert "has turned replies off" in listener.heard()
    listener.press("8")
    assert "There are no replies to hear right now." in listener.heard()
    listener.hangup()
    assert len(reply_rows(app)) == 1  # nothing new was recorded
    # The storyteller still hears the reply left before, and can turn replies on again.
    call = phone(STORYTELLER)
    call.press("9")
    call.press("5")
    assert "1 reply is here for you." in call.heard() and "Replies to this story are off." in call.heard()
    call.press("2")
    assert "Replies are on again." in call.heard()
    call.hangup()
    assert story_row(app, told["story"]).replies_open is True
    assert not sim.errors


def test_deleting_the_story_deletes_private_replies_and_unlinks_the_others(phone, app, sim, told, moderator):
    private = replied(phone, app, told, audience="1")
    pass_on(app, moderator, private, "storyteller")
    call = phone(LISTENER)  # a second, public reply from the same listener
    to_the_story(call)
    leave_reply(call, audience="2")
    call.hangup()
    _, public = reply_rows(app)
    pass_on(app, moderator, public, "everyone")
    with app.app_context():
        url = replies.audio_path(shares.get(public.id))
    assert app.test_client().get(url).status_code == 200
    storyteller = phone(STORYTELLER)
    storyteller.press("9")
    storyteller.press("3")  # their shares: the story's share
    storyteller.press("2")  # delete
    storyteller.press("1")  # confirm
    assert "Your message is deleted." in storyteller.heard()
    storyteller.hangup()
    private, public = reply_rows(app)
    assert private.status == "deleted" and private.reply_to_story_id is None and not private.storage_keys()
    assert public.status == "published" and public.reply_to_story_id is None and public.reply_audio_key is None
    assert public.original_key  # the replier's own share is still theirs to delete
    assert story_row(app, told["story"]).audio_key is None
    assert app.test_client().get(url).status_code == 404
    with app.app_context():
        actions = db.session.execute(select(ShareAudit.actor).filter_by(share_id=private.id)).scalars().all()
        assert actions == ["caller:story-deleted"]
    assert not sim.errors


def test_a_replys_author_deletes_it_like_any_share(phone, app, sim, told, moderator):
    reply = replied(phone, app, told, audience="1")
    pass_on(app, moderator, reply, "storyteller")
    call = phone(LISTENER)
    call.press("9")
    call.press("3")
    assert ", ".join(reply.reference) in call.heard()
    assert "It was passed on to the person who shared the story." in call.heard()
    call.press("2")
    call.press("1")
    assert "Your message is deleted." in call.heard()
    call.hangup()
    (reply,) = reply_rows(app)
    assert reply.status == "deleted" and reply.reply_audio_key is None and not reply.storage_keys()
    storyteller = phone(STORYTELLER)
    storyteller.press("9")
    storyteller.press("5")
    assert "There are no replies for you yet." in storyteller.heard()
    storyteller.hangup()
    assert not sim.errors


def test_a_crisis_tier_reply_alerts_on_call_like_any_share(phone, app, sim, told):
    reply = replied(phone, app, told, audience="1")
    assert process(app, reply.id) == "needs_listening"
    outcome = crisis_processing(app, reply.id, "i am going to kill myself tonight i have the pills ready")
    assert outcome == "queued crisis"
    with app.app_context():
        top = shares.queue()[0]
        assert top.id == reply.id and top.is_reply and top.tier == "crisis"
        alert = OncallAlert.query.filter_by(share_id=reply.id).one()
        assert alert.status == "sent"
    (message,) = sim.outbox
    assert message["to"] == "+15550100111" and reply.reference in message["body"]
    assert "pills" not in message["body"] and LISTENER not in message["body"]


def test_changing_your_mind_before_recording_leaves_nothing(phone, app, sim, told):
    call = phone(LISTENER)
    to_the_story(call)
    call.press("7")
    call.press("*")  # the choices again
    assert call.said()[-1].startswith("Our team hears your reply first.")
    call.press("9")  # not a choice: the short re-prompt, crisis key named
    assert call.said()[-1] == ("Press 1 for the person who shared only. 2 for other listeners too. "
                               "Pound to go back. 0 for the crisis line.")
    call.press("#")  # back to the story's keys
    assert call.said()[-1].startswith("Press 6 for the next story")  # the player's short keys (7, 8 behind star)
    call.press("7")
    call.press("2")
    call.press("#")  # at the voice question: back to the topics
    assert call.said()[-2:] == ["For grief and loss, press 2.",
                                "To go back, press pound. For the crisis line, press 0."]
    call.hangup()
    assert reply_rows(app) == []
    assert not sim.errors


def test_replies_for_everyone_play_newest_first_and_a_private_one_never(phone, app, sim):
    """(The call itself is a golden journey, tests/journeys/*_hear_replies; this checks the order.)"""
    ids = storyteller_story(app)
    older = delivered_reply(app, ids["story"], text="Your story made me feel less alone.")
    newer = delivered_reply(app, ids["story"])
    private = delivered_reply(app, ids["story"], audience="storyteller", text="This one is private.")
    with app.app_context():  # the older reply was passed on first
        share = db.session.get(Share, older)
        share.decided_at = share.decided_at.replace(year=share.decided_at.year - 1)
        db.session.commit()
    returning_caller(app, THIRD)
    call = phone(THIRD)
    to_the_story(call)
    call.press("8")
    call.silence()
    call.silence()
    call.hangup()
    played = [e.text.split("/audio/replies/")[1].split("-")[0] for e in call.entries("play")[1:]]
    assert played == [str(newer), str(older)] and str(private) not in played
    assert not sim.errors


def test_this_helped_me_counts_once_even_after_hearing_the_replies(phone, app, sim):
    ids = storyteller_story(app)
    delivered_reply(app, ids["story"])
    returning_caller(app, THIRD)
    call = phone(THIRD)
    to_the_story(call)
    call.press("3")  # it helped
    call.press("8")  # the replies
    call.press("#")  # back to the story
    call.press("3")  # it helped (again): thanked, not counted
    call.press("7")  # and a reply, then back
    call.press("#")
    call.press("3")
    call.hangup()
    assert story_row(app, ids["story"]).helped == 1
    assert not sim.errors
