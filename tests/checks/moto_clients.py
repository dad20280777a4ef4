"""boto3 clients on moto for the check tests: one per service, failing fast, counting what the check calls."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from sandbox.aws.server import MotoHandle


class Clients:
    """`clients(service)` as a CheckContext wants it. `calls` counts operations; `metric_calls` holds the number of
    queries of each GetMetricData call; `page_sizes` forces small pages, e.g. `{"sqs.ListQueues": 2}`."""

    def __init__(self, moto: MotoHandle, *, page_sizes: dict[str, int] | None = None) -> None:
        self.endpoint = moto.endpoint
        self.made: dict[str, BaseClient] = {}
        self.calls: Counter[str] = Counter()
        self.metric_calls: list[int] = []
        self.page_sizes = page_sizes or {}

    def __call__(self, service: str) -> BaseClient:
        if service not in self.made:
            client = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name="us-east-1",
                config=Config(retries={"total_max_attempts": 1}),
            )
            client.meta.events.register("before-call", self._count)
            client.meta.events.register("provide-client-params.cloudwatch.GetMetricData", self._count_queries)
            for operation, size in self.page_sizes.items():
                client.meta.events.register(f"provide-client-params.{operation}", _page_size(size))
            self.made[service] = client
        return self.made[service]

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _count_queries(self, params: dict[str, Any], **_: Any) -> None:
        self.metric_calls.append(len(params["MetricDataQueries"]))


def _page_size(size: int) -> Any:
    def small_pages(params: dict[str, Any], **_: Any) -> None:
        params["MaxResults"] = size

    return small_pages


def create_function(clients: Clients, name: str, **settings: Any) -> dict[str, Any]:
    """A Python Lambda function in moto (call `use_lambda_without_docker` first); `settings` go to CreateFunction."""
    iam = clients("iam")
    try:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]}
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    arguments = {"Runtime": "python3.12", "Handler": "app.handler", "Timeout": 3} | settings
    return clients("lambda").create_function(
        FunctionName=name, Role=role, Code={"ZipFile": package.getvalue()}, **arguments
    )
