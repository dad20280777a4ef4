"""Button payloads: what a builder encodes, the handler parses back; anything else is refused as not ours."""

from __future__ import annotations

from typing import Any

import pytest

from bot.ids import (
    AcceptRiskModal,
    BadPayload,
    BestPracticeButton,
    CommandPick,
    ErrorGroupButton,
    IncidentButton,
    LogsPage,
    MuteButton,
    SnoozeModal,
    WaitButton,
)

BIGGEST_ID = 10**18 - 1

PAYLOADS = [
    IncidentButton(42),
    IncidentButton(BIGGEST_ID, snooze="24h"),
    WaitButton(7),
    WaitButton(BIGGEST_ID),
    ErrorGroupButton(3),
    ErrorGroupButton(BIGGEST_ID),
    LogsPage("prod", "eu-west-1", "/aws/lambda/orders", 1_000, 2_000, 50, "connection reset"),
    CommandPick("/logs", "/aws/lambda/orders 15m"),
    BestPracticeButton("best_practices:123456789012:us-east-1:s3_public_access:arn:aws:s3:::bucket"),
    SnoozeModal(42, "C0ALERTS"),
    AcceptRiskModal("best_practices:123456789012:us-east-1:s3_public_access:arn:aws:s3:::b", "C0ALERTS", None),
    AcceptRiskModal("best_practices:123456789012:us-east-1:lambda_dlq:orders", "C0A", "https://hooks.slack.com/x"),
    MuteButton("orders-apii", 7200),
    MuteButton("x" * 256, 30 * 86400, '"quoted", <@U0ALICE> ' + "é" * 470),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: type(p).__name__)
def test_what_a_button_carries_parses_back_to_the_same_payload(payload: Any) -> None:
    value = payload.encode()
    assert len(value) <= 2000
    assert type(payload).parse(value) == payload


@pytest.mark.parametrize(
    ("payload_type", "value"),
    [
        (WaitButton, None),
        (WaitButton, ""),
        (WaitButton, "wait:"),
        (WaitButton, "wait:abc"),
        (WaitButton, "wait:-1"),
        (WaitButton, "wait:1; DROP TABLE wait_jobs"),
        (WaitButton, "wait:1\n"),
        (WaitButton, "wait:\u0661"),  # an Arabic-Indic one: a digit to `\d` and to int(), not to us
        (WaitButton, "wait:" + "9" * 19),
        (WaitButton, "wait:" + "1" * 5000),
        (WaitButton, "error_group:1"),
        (WaitButton, "incident:1"),
        (ErrorGroupButton, None),
        (ErrorGroupButton, "error_group:"),
        (ErrorGroupButton, "error_group:1:2"),
        (ErrorGroupButton, " error_group:1"),
        (ErrorGroupButton, "error_group:1\n"),
        (ErrorGroupButton, "error_group:" + "9" * 19),
        (ErrorGroupButton, "wait:1"),
        (IncidentButton, "incident:1\n"),
        (IncidentButton, "incident:\u0661"),
        (IncidentButton, "incident:" + "9" * 19),
        (IncidentButton, "incident:1:snooze:forever-and-ever"),
        (IncidentButton, "wait:1"),
        (LogsPage, '["prod","eu-west-1","/g",2000,1000,50,null]'),
        (LogsPage, "wait:1"),
        (CommandPick, '["/wait","ec2 instance_running i-1"]'),
        (BestPracticeButton, "bp:best_practices:123:us-east-1:rule:x"),
        (BestPracticeButton, "bp:best_practices:123456789012:us-east-1:rule:" + "x" * 200),
        (SnoozeModal, None),
        (SnoozeModal, "{"),
        (SnoozeModal, "[42]"),
        (SnoozeModal, '{"incident_id": "42", "channel": "C1"}'),
        (SnoozeModal, '{"incident_id": true, "channel": "C1"}'),
        (SnoozeModal, '{"incident_id": -1, "channel": "C1"}'),
        (SnoozeModal, '{"incident_id": 1, "channel": ["C1"]}'),
        (AcceptRiskModal, '{"fingerprint": "someone-elses", "channel": "C1"}'),
        (AcceptRiskModal, '{"fingerprint": null, "channel": "C1"}'),
        (AcceptRiskModal, '{"fingerprint": "best_practices:123456789012:us-east-1:r:x", "response_url": 5}'),
        (MuteButton, '["mute","orders-api",2592001,""]'),
        (MuteButton, '["mute","orders-api",0,""]'),
        (MuteButton, '["mute","orders-api",true,""]'),
        (MuteButton, '["mute","orders-api",7200.0,""]'),
        (MuteButton, '["mute","",7200,""]'),
        (MuteButton, '["mute",["orders-api"],7200,""]'),
        (MuteButton, '["unmute","orders-api",7200,""]'),
        (MuteButton, '["mute","orders-api",7200]'),
        (MuteButton, "incident:1"),
    ],
)
def test_a_value_that_is_not_ours_is_refused(payload_type: Any, value: str | None) -> None:
    with pytest.raises(BadPayload):
        payload_type.parse(value)
