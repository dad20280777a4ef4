"""Slack's request signature, checked on the raw bytes (the algorithm Slack documents: HMAC-SHA256 of
`v0:{timestamp}:{body}`)."""

from __future__ import annotations

import hashlib
import hmac

from handlers.signature import ReplayGuard, replay_key, signature_problem

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_531_420_618.0
BODY = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather&text=94070"


def headers(body: bytes = BODY, *, timestamp: str = "1531420618", secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def test_a_request_signed_with_the_secret_within_five_minutes_is_slacks() -> None:
    assert signature_problem(headers(), BODY, secret=SECRET, now=NOW) is None
    assert signature_problem(headers(), BODY, secret=SECRET, now=NOW + 299) is None


def test_each_way_of_not_being_slack_is_named() -> None:
    assert signature_problem({}, BODY, secret=SECRET, now=NOW) == "no signature"
    assert signature_problem(headers(timestamp="1e9"), BODY, secret=SECRET, now=NOW) == (
        "a timestamp that is not a number"
    )
    assert signature_problem(headers(timestamp="١٥٣١٤٢٠٦١٨"), BODY, secret=SECRET, now=NOW) == (
        "a timestamp that is not a number"
    )
    assert signature_problem(headers(), BODY, secret=SECRET, now=NOW + 301) == "a stale timestamp"
    assert signature_problem(headers(secret="other"), BODY, secret=SECRET, now=NOW) == "a wrong signature"
    assert signature_problem(headers(), BODY + b"&x=1", secret=SECRET, now=NOW) == "a wrong signature"
    forged = headers() | {"X-Slack-Signature": "v0=é"}
    assert signature_problem(forged, BODY, secret=SECRET, now=NOW) == "a wrong signature"


def test_a_request_seen_again_within_five_minutes_is_a_replay_and_forgotten_after() -> None:
    guard = ReplayGuard()
    assert guard.first_time("signature:v0=ab", NOW)
    assert not guard.first_time("signature:v0=ab", NOW + 299)
    assert guard.first_time("signature:v0=cd", NOW + 299)
    assert guard.first_time("signature:v0=ab", NOW + 301)


def test_the_guard_keeps_at_most_its_bound() -> None:
    guard = ReplayGuard(most=3)
    for n in range(5):
        assert guard.first_time(f"k{n}", NOW)
    assert guard.first_time("k0", NOW)  # pushed out by the bound, so new again
    assert not guard.first_time("k4", NOW)


def test_an_event_is_known_by_its_event_id_and_anything_else_by_its_signature() -> None:
    event = b'{"type": "event_callback", "event_id": "Ev1", "event": {}}'
    assert replay_key({"X-Slack-Signature": "v0=1"}, event) == replay_key({"X-Slack-Signature": "v0=2"}, event)
    by_signature = "signature:" + hashlib.sha256(b"v0=1").hexdigest()
    assert replay_key({"X-Slack-Signature": "v0=1"}, b"command=%2Flogs") == by_signature
    assert replay_key({"X-Slack-Signature": "v0=1"}, b'{"event_id": [') == by_signature


def test_a_replay_key_fits_its_column_whatever_the_request_carries() -> None:
    long_id = b'{"type": "event_callback", "event_id": "' + b"E" * 5000 + b'"}'
    assert len(replay_key({"X-Slack-Signature": "v0=" + "f" * 5000}, b"command=%2Flogs")) <= 80
    assert len(replay_key({}, long_id)) <= 80
    assert replay_key({}, long_id) != replay_key({}, long_id.replace(b"EE", b"EF", 1))
