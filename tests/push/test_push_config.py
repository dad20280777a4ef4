"""`push:` in the config: mistakes name their path and say what is expected."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, settings_from_mapping
from tests.harness import base_config


def problems(push: object, env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(base_config(push=push), env)
    return caught.value.problems


def test_a_topic_that_is_not_an_sns_topic_arn_is_named(slack_env: dict[str, str]) -> None:
    assert problems({"sns": {"topics": ["boltwatch-alarms"]}}, slack_env) == [
        "push.sns.topics: 'boltwatch-alarms' is not an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:alarms"
    ]


def test_a_certificate_host_that_is_not_a_host_name_is_named(slack_env: dict[str, str]) -> None:
    assert problems({"sns": {"cert_hosts": ["https://sns.us-east-1.amazonaws.com/"]}}, slack_env) == [
        "push.sns.cert_hosts: 'https://sns.us-east-1.amazonaws.com/' is not a host name "
        "(`*` may stand for a region's name: sns.*.amazonaws.com)"
    ]


def test_unknown_push_keys_and_bad_durations_are_named(slack_env: dict[str, str]) -> None:
    assert problems({"sns": {"topic": []}, "reconcile_every": "often"}, slack_env) == [
        "push.sns.topic: unknown key",
        'push.reconcile_every: "often" is not a duration like 30s, 5m, 1h',
    ]


def test_push_is_off_until_a_topic_is_configured(slack_env: dict[str, str]) -> None:
    assert not settings_from_mapping(base_config(), slack_env).file.push.enabled
    topic = "arn:aws:sns:us-east-1:123456789012:boltwatch-alarms"
    assert settings_from_mapping(base_config(push={"sns": {"topics": [topic]}}), slack_env).file.push.enabled
