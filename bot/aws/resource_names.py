"""The names an AWS account and region holds, to tell a mute TARGET that names something from one that names
nothing: Lambda functions, log groups, CloudWatch alarms and what their dimensions name, SQS queues.

Best effort: a service the bot may not read (or that fails) is left out, and each list stops at MAX_NAMES.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.logs import LAMBDA_PREFIX

log = logging.getLogger(__name__)
MAX_NAMES = 2000


def estate_names(client: Callable[[str], Any]) -> set[str]:
    """What the clients `client(service)` see, by name."""
    names: set[str] = set()
    for service, read in (("lambda", _functions), ("logs", _log_groups), ("cloudwatch", _alarms), ("sqs", _queues)):
        try:
            for count, name in enumerate(read(client(service))):
                if count >= MAX_NAMES:
                    break
                names.add(name)
        except (BotoCoreError, ClientError) as exc:
            log.info("left %s out of the names a mute target is checked against: %s", service, exc)
    return names


def _functions(client: Any) -> Iterator[str]:
    for page in client.get_paginator("list_functions").paginate():
        yield from (function["FunctionName"] for function in page.get("Functions", []))


def _log_groups(client: Any) -> Iterator[str]:
    for page in client.get_paginator("describe_log_groups").paginate():
        for group in page.get("logGroups", []):
            yield group["logGroupName"]
            if group["logGroupName"].startswith(LAMBDA_PREFIX):
                yield group["logGroupName"].removeprefix(LAMBDA_PREFIX)


def _alarms(client: Any) -> Iterator[str]:
    for page in client.get_paginator("describe_alarms").paginate():
        for alarm in page.get("MetricAlarms", []):
            yield alarm["AlarmName"]
            yield from (d["Value"] for d in alarm.get("Dimensions", []) if d.get("Value"))


def _queues(client: Any) -> Iterator[str]:
    for page in client.get_paginator("list_queues").paginate():
        yield from (url.rsplit("/", 1)[-1] for url in page.get("QueueUrls", []))
