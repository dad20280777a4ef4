"""AWS API calls of one lambda_errors cycle over 1,000 functions, by operation, against the lower bound.

Target: the calls equal the lower bound, ListFunctions pages + ceil(queries / 500) GetMetricData calls (four
queries a function).

The functions are created in moto (Lambda without Docker); the check function runs once, directly, with a
`CheckContext` over the bot's own boto3 clients (`AwsSessions`: its retry policy and config), each with a
`before-call` hook that counts API calls by operation and a `before-send` hook that counts HTTP requests
(retries included). Only a few functions get metrics: what is measured is how many calls the check makes, not
how fast moto answers them.

moto ignores ListFunctions' page size and returns every function in one page; AWS returns at most 50 a page.
So the cycle runs twice: once against moto as it is, and once with AWS's paging emulated (the counting hook
answers ListFunctions itself with pages of 50 cut from moto's full list, following `Marker`/`NextMarker`
exactly as AWS does), which shows that the check follows every page and makes no call besides.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.model import OperationModel

from bench import lambda_fleet
from bench.common import environment, positive_int
from bot.aws.metrics import MAX_QUERIES_PER_CALL
from bot.aws.sessions import AwsSessions
from bot.aws.settings import AccountSettings, AwsSettings
from bot.core.findings import CheckResult
from sandbox.aws.server import (
    SANDBOX_ACCOUNT_ID,
    MotoHandle,
    sandbox_client,
    start_moto,
    use_lambda_without_docker,
)
from scheduler.checks.lambda_errors import METRICS, LambdaErrorsParams, lambda_errors
from scheduler.registry import CheckContext

REGION = "us-east-1"
AWS_LIST_FUNCTIONS_PAGE = 50
"""ListFunctions' largest (and default) page on AWS."""
QUERIES_PER_FUNCTION = len(METRICS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--functions", type=positive_int, default=1000, help="Lambda functions (default 1000)")
    parser.add_argument(
        "--broken", type=int, default=3, help="functions given Errors/Invocations metrics, so some fire (default 3)"
    )
    parser.add_argument("--threads", type=positive_int, default=8, help="threads creating the functions (default 8)")


@dataclass
class CallCounter:
    """API calls (`before-call`) and HTTP requests (`before-send`, so retries too) by operation."""

    calls: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    queries_per_metric_call: list[int] = field(default_factory=list)


class EmulatedListFunctionsPaging:
    """Answers ListFunctions as AWS pages it (at most `page_size` a page) from moto's full, one-page list."""

    def __init__(self, functions: list[dict[str, Any]], page_size: int) -> None:
        self._functions = functions
        self._page_size = page_size

    def page(self, params: dict[str, Any]) -> dict[str, Any]:
        query = params.get("query_string", {})
        start = int(query.get("Marker") or 0)
        size = min(int(query.get("MaxItems") or self._page_size), self._page_size)
        end = start + size
        page: dict[str, Any] = {"Functions": self._functions[start:end], "ResponseMetadata": {"HTTPStatusCode": 200}}
        if end < len(self._functions):
            page["NextMarker"] = str(end)
        return page


def counting_client(
    sessions: AwsSessions, service: str, counter: CallCounter, paging: EmulatedListFunctionsPaging | None
) -> BaseClient:
    """The bot's client for `service`, counting every call; ListFunctions answered by `paging` when given."""
    client = sessions.client(service)

    def before_call(
        model: OperationModel, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        counter.calls[model.name] += 1
        if paging is not None and model.name == "ListFunctions":
            return AWSResponse("emulated://ListFunctions", 200, {}, None), paging.page(params)
        return None

    def before_parameter_build(params: dict[str, Any], **_: Any) -> None:
        counter.queries_per_metric_call.append(len(params.get("MetricDataQueries", [])))

    def before_send(event_name: str, **_: Any) -> None:
        counter.requests[event_name.rsplit(".", 1)[-1]] += 1

    # Registered last so that the bot's own before-call hooks (the event-loop guard) still run first.
    client.meta.events.register_last("before-call", before_call, unique_id="bench-count-calls")
    client.meta.events.register_last("before-send", before_send, unique_id="bench-count-requests")
    client.meta.events.register_last(
        "before-parameter-build.cloudwatch.GetMetricData", before_parameter_build, unique_id="bench-count-queries"
    )
    return client


def create_functions(moto: MotoHandle, count: int, broken: int, threads: int) -> float:
    """`count` functions (and metrics for the first `broken`); returns the seconds it took."""
    started = time.perf_counter()
    use_lambda_without_docker(moto.endpoint)
    lambda_fleet.create_functions(
        lambda service: sandbox_client(moto.endpoint, service, REGION), count, broken, threads
    )
    return time.perf_counter() - started


@dataclass(frozen=True)
class Cycle:
    label: str
    counter: CallCounter
    functions: int
    page_size: int | None
    """Functions per ListFunctions page as served: None for moto (everything in one page)."""
    result: CheckResult
    seconds: float

    @property
    def queries(self) -> int:
        return QUERIES_PER_FUNCTION * self.functions

    @property
    def list_pages_bound(self) -> int:
        return 1 if self.page_size is None else max(1, math.ceil(self.functions / self.page_size))

    @property
    def metric_calls_bound(self) -> int:
        return math.ceil(self.queries / MAX_QUERIES_PER_CALL)

    @property
    def bound(self) -> int:
        return self.list_pages_bound + self.metric_calls_bound

    @property
    def total(self) -> int:
        return sum(self.counter.calls.values())

    @property
    def met(self) -> bool:
        return self.total == self.bound


def run_cycle(sessions: AwsSessions, label: str, functions: int, paging_size: int | None) -> Cycle:
    paging = None
    if paging_size is not None:
        everything = sandbox_client(sessions.endpoint_url or "", "lambda", REGION).list_functions()["Functions"]
        paging = EmulatedListFunctionsPaging(everything, paging_size)
    counter = CallCounter()
    clients: dict[str, BaseClient] = {}

    def client_for(service: str) -> BaseClient:
        if service not in clients:
            clients[service] = counting_client(sessions, service, counter, paging)
        return clients[service]

    ctx = CheckContext(
        account="default",
        account_id=SANDBOX_ACCOUNT_ID,
        region=REGION,
        now=datetime.now(UTC),
        client_for=client_for,
    )
    started = time.perf_counter()
    result = lambda_errors(ctx, LambdaErrorsParams())
    seconds = time.perf_counter() - started
    for client in clients.values():
        client.meta.events.unregister("before-call", unique_id="bench-count-calls")
        client.meta.events.unregister("before-send", unique_id="bench-count-requests")
        client.meta.events.unregister(
            "before-parameter-build.cloudwatch.GetMetricData", unique_id="bench-count-queries"
        )
    return Cycle(label, counter, functions, paging_size, result, seconds)


def print_cycle(cycle: Cycle) -> None:
    print(f"\n{cycle.label}: one lambda_errors cycle in {cycle.seconds:.1f} s")
    firing = sum(1 for f in cycle.result.findings if f.firing)
    print(f"  findings {len(cycle.result.findings)} ({firing} firing)")
    print("  API calls by operation (and HTTP requests that reached moto, retries included):")
    for operation, calls in sorted(cycle.counter.calls.items()):
        sent = cycle.counter.requests.get(operation, 0)
        note = ", every page answered by the emulation" if cycle.page_size and operation == "ListFunctions" else ""
        print(f"    {operation:<16} {calls:>4}   ({sent} sent to moto{note})")
    served = "moto: every function in one page" if cycle.page_size is None else f"{cycle.page_size} a page"
    print(
        f"  ListFunctions pages  {cycle.counter.calls['ListFunctions']:>4}   bound {cycle.list_pages_bound} "
        f"({served}; on AWS ceil({cycle.functions}/{AWS_LIST_FUNCTIONS_PAGE}) = "
        f"{math.ceil(cycle.functions / AWS_LIST_FUNCTIONS_PAGE)})"
    )
    print(
        f"  GetMetricData        {cycle.counter.calls['GetMetricData']:>4}   bound ceil({cycle.queries}/"
        f"{MAX_QUERIES_PER_CALL}) = {cycle.metric_calls_bound}; queries a call "
        f"{', '.join(map(str, cycle.counter.queries_per_metric_call)) or 'none'}"
    )
    verdict = "PASS" if cycle.met else "FAIL"
    print(f"  total                {cycle.total:>4}   lower bound {cycle.bound}   {verdict}")


def run(args: argparse.Namespace) -> int:
    moto = start_moto()
    try:
        with environment(moto.environment(REGION)):
            created = create_functions(moto, args.functions, args.broken, args.threads)
            print(
                f"api_calls: {args.functions} Lambda functions created in moto in {created:.1f} s "
                f"({args.threads} threads), {min(args.broken, args.functions)} with error metrics; lambda_errors "
                "with default params (every function, 4 queries each)"
            )
            settings = AwsSettings(regions=[REGION], accounts=[AccountSettings(name="default", id=SANDBOX_ACCOUNT_ID)])
            cycles = []
            for label, page_size in (
                ("moto as it is", None),
                (
                    f"AWS paging emulated ({AWS_LIST_FUNCTIONS_PAGE} functions a ListFunctions page)",
                    AWS_LIST_FUNCTIONS_PAGE,
                ),
            ):
                # A fresh AwsSessions per cycle: fresh clients, so one cycle's hooks never count the other's calls.
                sessions = AwsSessions(settings, endpoint_url=moto.endpoint)
                cycles.append(run_cycle(sessions, label, args.functions, page_size))
    finally:
        moto.stop()
    for cycle in cycles:
        print_cycle(cycle)
    met = all(cycle.met for cycle in cycles)
    print(f"\ntarget (calls == lower bound, both cycles) {'met' if met else 'MISSED'}")
    return 0 if met else 1
