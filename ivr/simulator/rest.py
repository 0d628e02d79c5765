"""The part of Twilio's REST API Peerline uses, served by the simulator with Twilio's auth and JSON.

Handlers only change the simulation's state and queue work; anything that calls back into the
app (callbacks, announcements, outbound calls) runs later in `Simulator.settle`, never inside
the request — the app may be holding database locks while it waits for this answer.
"""
from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from ivr.simulator.executor import Next
from ivr.simulator.recordings import to_mp3

API = "/2010-04-01/Accounts/<account>"
MEDIA_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}


def error(status: int, code: int, message: str) -> Response:
    """A Twilio-shaped error body."""
    response = jsonify({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() == "true"


def create_rest_app(sim) -> Flask:
    """The REST API as a Flask app bound to one simulator."""
    app = Flask("twilio-simulator-rest")
    app.json.sort_keys = False

    @app.before_request
    def authenticate():
        """Basic auth as Twilio checks it (AccountSid:AuthToken, matching the URL), then faults."""
        auth = request.authorization
        account = (request.view_args or {}).get("account")
        if auth is None or auth.username != sim.account_sid or auth.password != sim.auth_token \
                or (account and account != sim.account_sid):
            return error(401, 20003, "Authenticate")
        if sim.faults.rest_latency_ms:
            time.sleep(sim.faults.rest_latency_ms / 1000.0)
        with sim.lock:
            failure = sim.faults.rest_failure()
        if failure:
            return error(failure, 20429 if failure == 429 else 20500, "Simulated failure")
        return None

    def page(key: str, items: list, uri: str) -> Response:
        """A list page shaped like Twilio's 2010 API."""
        return jsonify({key: items, "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
                        "page": 0, "page_size": 50, "start": 0, "end": max(0, len(items) - 1), "uri": uri})

    def base_uri() -> str:
        """The account's API path."""
        return f"/2010-04-01/Accounts/{sim.account_sid}"

    # -- conferences -------------------------------------------------------------------------
    def conference_json(room) -> dict:
        """A Conference resource."""
        uri = f"{base_uri()}/Conferences/{room.sid}.json"
        return {"account_sid": sim.account_sid, "api_version": "2010-04-01", "sid": room.sid,
                "friendly_name": room.name, "status": room.status, "region": "us1",
                "date_created": sim.timestamp_at(room.created_at), "date_updated": sim.timestamp_at(room.updated_at),
                "reason_conference_ended": room.ended_reason, "call_sid_ending_conference": None, "uri": uri,
                "subresource_uris": {"participants": uri.replace(".json", "/Participants.json"),
                                     "recordings": uri.replace(".json", "/Recordings.json")}}

    def participant_json(room, p) -> dict:
        """A Participant resource."""
        return {"account_sid": sim.account_sid, "call_sid": p.call.sid, "conference_sid": room.sid,
                "label": p.label, "muted": p.muted, "hold": p.hold, "coaching": p.coaching,
                "call_sid_to_coach": None, "end_conference_on_exit": p.end_on_exit,
                "start_conference_on_enter": p.start_on_enter, "status": "connected", "queue_time": None,
                "date_created": sim.timestamp_at(p.joined_at), "date_updated": sim.timestamp_at(p.joined_at),
                "uri": f"{base_uri()}/Conferences/{room.sid}/Participants/{p.call.sid}.json"}

    def room_or_404(sid):
        """The conference by sid, or a Twilio-shaped 404."""
        room = sim.rooms.by_sid.get(sid)
        if room is None:
            return None, error(404, 20404, f"The requested resource {request.path} was not found")
        return room, None

    @app.get(f"{API}/Conferences.json")
    def conferences_list(account):
        """List conferences, filtered by FriendlyName and Status."""
        name, status = request.args.get("FriendlyName"), request.args.get("Status")
        with sim.lock:
            rooms = [r for r in sim.rooms.by_sid.values()
                     if (name is None or r.name == name) and (status is None or r.status == status)]
            return page("conferences", [conference_json(r) for r in rooms], request.full_path)

    @app.route(f"{API}/Conferences/<sid>.json", methods=["GET", "POST"])
    def conference(account, sid):
        """Fetch a conference, or update it (AnnounceUrl, Status=completed)."""
        with sim.lock:
            room, missing = room_or_404(sid)
            if missing:
                return missing
            if request.method == "POST":
                if request.form.get("AnnounceUrl"):
                    room.announce(request.form["AnnounceUrl"], request.form.get("AnnounceMethod", "POST"))
                if request.form.get("Status") == "completed":
                    room.end("conference-ended-via-api")
                room.updated_at = sim.clock
            return jsonify(conference_json(room))

    @app.get(f"{API}/Conferences/<sid>/Participants.json")
    def participants_list(account, sid):
        """List a conference's participants (Muted, Hold filters)."""
        with sim.lock:
            room, missing = room_or_404(sid)
            if missing:
                return missing
            muted, hold = _bool(request.args.get("Muted")), _bool(request.args.get("Hold"))
            items = [participant_json(room, p) for p in room.participants.values()
                     if (muted is None or p.muted == muted) and (hold is None or p.hold == hold)]
            return page("participants", items, request.full_path)

    @app.route(f"{API}/Conferences/<sid>/Participants/<call_sid>.json", methods=["GET", "POST", "DELETE"])
    def participant(account, sid, call_sid):
        """Fetch, update (Muted, Hold, AnnounceUrl, Label, ...) or remove a participant."""
        with sim.lock:
            room, missing = room_or_404(sid)
            if missing:
                return missing
            p = room.participants.get(call_sid)
            if p is None:
                return error(404, 20404, f"The requested resource {request.path} was not found")
            if request.method == "DELETE":
                room.kick(p.call, "participant-removed-via-api")
                return Response(status=204)
            if request.method == "POST":
                form = request.form
                if _bool(form.get("Muted")) is not None:
                    room.set_muted(p, _bool(form["Muted"]))
                if _bool(form.get("Hold")) is not None:
                    room.set_hold(p, _bool(form["Hold"]), form.get("HoldUrl"), form.get("HoldMethod", "GET"))
                if form.get("AnnounceUrl"):
                    room.announce(form["AnnounceUrl"], form.get("AnnounceMethod", "POST"), to=p)
                modified = False
                for field, attr in (("Coaching", "coaching"), ("EndConferenceOnExit", "end_on_exit")):
                    if _bool(form.get(field)) is not None and getattr(p, attr) != _bool(form[field]):
                        setattr(p, attr, _bool(form[field]))
                        modified = True
                if form.get("Label") and form["Label"] != p.label:
                    p.label, modified = form["Label"], True
                if modified:
                    room.notify("participant-modify", p)
            return jsonify(participant_json(room, p))

    # -- recordings --------------------------------------------------------------------------
    def recording_json(rec) -> dict:
        """A Recording resource."""
        uri = f"{base_uri()}/Recordings/{rec.sid}.json"
        return {"account_sid": sim.account_sid, "api_version": "2010-04-01", "sid": rec.sid,
                "call_sid": rec.call_sid, "conference_sid": None, "duration": str(rec.duration), "channels": 1,
                "source": "RecordVerb", "status": "completed", "price": None, "price_unit": "USD",
                "date_created": sim.timestamp_at(rec.created_at), "date_updated": sim.timestamp_at(rec.created_at),
                "start_time": sim.timestamp_at(rec.created_at), "uri": uri, "media_url": rec.url,
                "encryption_details": None, "error_code": None, "subresource_uris": {}}

    @app.route(f"{API}/Recordings/<name>", methods=["GET", "DELETE"])
    def recording(account, name):
        """Recording metadata (.json), media (.wav/.mp3, or WAV with no extension) or delete."""
        sid, _, ext = name.partition(".")
        ext = ext or "wav"  # Twilio serves WAV when no extension is asked for
        with sim.lock:
            rec = sim.recordings.get(sid)
            if rec is None:
                return error(404, 20404, f"The requested resource {request.path} was not found")
            if request.method == "DELETE":
                rec.deleted = True
                return Response(status=204)
            if ext == "json":
                return jsonify(recording_json(rec))
            if ext not in MEDIA_TYPES:
                return error(404, 20404, f"The requested resource {request.path} was not found")
            rec.fetches += 1
            if rec.fetches <= sim.faults.recording_unavailable_fetches:
                return error(404, 20404, f"The requested resource {request.path} was not found")
            if ext == "wav":
                return Response(rec.wav, content_type=MEDIA_TYPES[ext])
            return Response(to_mp3(rec.wav), content_type=MEDIA_TYPES[ext])

    # -- calls -------------------------------------------------------------------------------
    def call_json(call) -> dict:
        """A Call resource."""
        duration = None
        if call.ended and call.started_at is not None:
            duration = str(int(max(0, call.ended_at - call.started_at) + 0.5))
        return {"account_sid": sim.account_sid, "api_version": "2010-04-01", "sid": call.sid, "to": call.to,
                "to_formatted": call.to, "from": call.from_, "from_formatted": call.from_, "status": call.status,
                "direction": call.direction, "duration": duration, "answered_by": None, "caller_name": None,
                "date_created": sim.timestamp(), "date_updated": sim.timestamp(),
                "start_time": sim.timestamp_at(call.started_at) if call.started_at is not None else None,
                "end_time": sim.timestamp_at(call.ended_at) if call.ended_at is not None else None,
                "parent_call_sid": None, "phone_number_sid": None, "price": None, "price_unit": "USD",
                "queue_time": "0", "trunk_sid": None, "group_sid": None, "forwarded_from": None,
                "uri": f"{base_uri()}/Calls/{call.sid}.json", "subresource_uris": {}}

    @app.post(f"{API}/Calls.json")
    def calls_create(account):
        """Create an outbound call; it rings after this request has been answered."""
        form = request.form
        if not form.get("To") or not form.get("From"):
            return error(400, 21201 if not form.get("To") else 21213, "To and From are required")
        if not form.get("Url") and not form.get("Twiml"):
            return error(400, 21205, "Url or Twiml is required")
        with sim.lock:
            call = sim.place_outbound(form.get("To"), form.get("From"), form.get("Url"),
                                      form.get("Method", "POST").upper(), form.get("Twiml"),
                                      form.get("StatusCallback"), form.get("StatusCallbackMethod", "POST"),
                                      form.getlist("StatusCallbackEvent"))
            response = jsonify(call_json(call))
        response.status_code = 201
        return response

    @app.route(f"{API}/Calls/<sid>.json", methods=["GET", "POST"])
    def call_resource(account, sid):
        """Fetch a call or update it (Url/Twiml redirect, Status=completed/canceled)."""
        with sim.lock:
            call = sim.by_sid.get(sid)
            if call is None:
                return error(404, 20404, f"The requested resource {request.path} was not found")
            if request.method == "POST":
                form = request.form
                if call.ended:
                    return error(400, 21220, "Call is not in-progress. Cannot redirect.")
                if form.get("Status") in {"completed", "canceled"}:
                    call.events.append(("end", "completed" if form["Status"] == "completed" else "canceled"))
                elif form.get("Twiml"):
                    call.events.append(("redirect", Next(twiml=form["Twiml"])))
                elif form.get("Url"):
                    call.events.append(("redirect", Next(form["Url"], form.get("Method", "POST").upper())))
            return jsonify(call_json(call))

    # -- messages ----------------------------------------------------------------------------
    @app.post(f"{API}/Messages.json")
    def messages_create(account):
        """Send a message: it lands in the simulator's outbox."""
        form = request.form
        if not form.get("To"):
            return error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body") and not form.get("MediaUrl"):
            return error(400, 21602, "Message body is required.")
        sid = sim.new_sid("SM")
        message = {"account_sid": sim.account_sid, "api_version": "2010-04-01", "sid": sid, "to": form["To"],
                   "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
                   "body": form.get("Body", ""), "status": "queued", "direction": "outbound-api",
                   "num_segments": "1", "num_media": "0", "price": None, "price_unit": "USD",
                   "error_code": None, "error_message": None, "date_created": sim.timestamp(),
                   "date_updated": sim.timestamp(), "date_sent": None,
                   "uri": f"{base_uri()}/Messages/{sid}.json", "subresource_uris": {}}
        with sim.lock:
            sim.outbox.append(message)
        response = jsonify(message)
        response.status_code = 201
        return response

    @app.errorhandler(404)
    def not_found(exc):
        """Twilio's 404 body."""
        return error(404, 20404, f"The requested resource {request.path} was not found")

    @app.errorhandler(405)
    def not_allowed(exc):
        """Twilio's 405 body."""
        return error(405, 20004, "Method not allowed")

    return app

