"""Every Twilio webhook checks X-Twilio-Signature and fails closed."""
from twilio.request_validator import RequestValidator

from tests.conftest import TEST_TOKEN

FORM = {"CallSid": "CA9", "From": "+15550009999", "To": "+15550001111"}


def webhook_paths(app):
    """Every POST route outside the staff pages (all of them are Twilio's), a sample step filled in."""
    return sorted(rule.rule.replace("<name>", "main_menu") for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and not rule.endpoint.startswith("staff."))


def test_every_voice_route_refuses_a_missing_signature(client, app):
    paths = webhook_paths(app)
    assert {"/voice/incoming", "/voice/status", "/voice/shares/recording", "/voice/circles/conference"} <= set(paths)
    for path in paths:
        assert client.post(path, data=FORM).status_code == 403, path


def test_wrong_token_is_refused(client, app):
    sig = RequestValidator("not-the-token").compute_signature("https://peerline.test/voice/incoming", FORM)
    assert client.post("/voice/incoming", data=FORM, headers={"X-Twilio-Signature": sig}).status_code == 403


def test_tampered_form_is_refused(client, app):
    sig = RequestValidator(TEST_TOKEN).compute_signature("https://peerline.test/voice/incoming", FORM)
    tampered = {**FORM, "From": "+15550000000"}
    assert client.post("/voice/incoming", data=tampered, headers={"X-Twilio-Signature": sig}).status_code == 403


def test_signature_uses_public_url_and_raw_query(client, app):
    # Twilio signs the URL it called, query string undecoded (%27 %3A stay encoded).
    path = "/voice/step/main_menu?x=a%27b%3Ac"
    good = RequestValidator(TEST_TOKEN).compute_signature("https://peerline.test" + path, FORM)
    decoded = RequestValidator(TEST_TOKEN).compute_signature("https://peerline.test/voice/step/main_menu?x=a'b:c", FORM)
    internal = RequestValidator(TEST_TOKEN).compute_signature("http://localhost" + path, FORM)
    assert client.post(path, data=FORM, headers={"X-Twilio-Signature": good}).status_code == 200
    assert client.post(path, data=FORM, headers={"X-Twilio-Signature": decoded}).status_code == 403
    assert client.post(path, data=FORM, headers={"X-Twilio-Signature": internal}).status_code == 403


def test_no_token_configured_fails_closed(client, app):
    app.config["TWILIO_AUTH_TOKEN"] = ""
    # Even a signature computed with the empty key is refused: no token, no entry.
    sig = RequestValidator("").compute_signature("https://peerline.test/voice/incoming", FORM)
    assert client.post("/voice/incoming", data=FORM, headers={"X-Twilio-Signature": sig}).status_code == 403


def test_a_signature_that_is_not_base64_text_is_refused(client, app):
    # Same length as a real signature, but not ASCII: refused with 403, not an error page.
    real = RequestValidator(TEST_TOKEN).compute_signature("https://peerline.test/voice/incoming", FORM)
    odd = "é" * len(real)
    assert client.post("/voice/incoming", data=FORM, headers={"X-Twilio-Signature": odd}).status_code == 403
