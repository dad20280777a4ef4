"""The sandbox's order queue and its dead-letter queue, which already holds messages that failed."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from botocore.client import BaseClient

from sandbox.aws.functions.shop import customer_id, euros, order_id

QUEUE = "orders-queue"
DEAD_LETTER_QUEUE = "orders-dlq"
TAGS = {"team": "payments", "project": "storefront"}


@dataclass(frozen=True)
class SeededQueues:
    queue_url: str
    dlq_url: str
    dlq_arn: str
    dlq_messages: int


def seed_queues(sqs: BaseClient, rng: random.Random, *, dead_letters: int = 2) -> SeededQueues:
    dlq_url = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE, tags=TAGS)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={
            # Six times the consumer's timeout, as AWS recommends for Lambda event sources.
            "VisibilityTimeout": "180",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
        tags=TAGS,
    )["QueueUrl"]
    if not dead_letters:
        return SeededQueues(queue_url=queue_url, dlq_url=dlq_url, dlq_arn=dlq_arn, dlq_messages=0)
    sqs.send_message_batch(
        QueueUrl=dlq_url,
        Entries=[
            {
                "Id": str(index),
                "MessageBody": json.dumps(
                    {"orderId": order_id(rng), "customerId": customer_id(rng), "total": euros(rng), "currency": "EUR"}
                ),
            }
            for index in range(dead_letters)
        ],
    )
    return SeededQueues(queue_url=queue_url, dlq_url=dlq_url, dlq_arn=dlq_arn, dlq_messages=dead_letters)
