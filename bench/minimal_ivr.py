"""The baseline for bench/webhooks.py: Twilio's sample-IVR shape.

A Flask app that answers every webhook with the same menu TwiML built with VoiceResponse and
does nothing else: no signature check, no database.
"""
from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

app = Flask(__name__)


def _menu() -> str:
    response = VoiceResponse()
    gather = response.gather(action="https://peerline.test/voice/step/main_menu/input", method="POST",
                             num_digits=1, timeout=6, input="dtmf speech", hints="stories, circle, share",
                             language="en-US", action_on_empty_result=True)
    gather.say("To hear stories from other people, press 1. To join a circle, press 2. To leave a "
               "voice share, press 3. For options, press 9. If you are in crisis, press 0.",
               voice="Polly.Joanna", language="en-US")
    return str(response)


@app.post("/voice/incoming")
@app.post("/voice/step/<name>/input")
def menu(name: str | None = None):
    """Return the menu, whatever was asked."""
    return Response(_menu(), content_type="text/xml; charset=utf-8")


@app.post("/voice/status")
def status():
    """The status callback: nothing to do."""
    return ("", 204)
