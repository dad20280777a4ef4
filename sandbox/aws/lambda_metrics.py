"""AWS/Lambda metrics for sandbox functions, shaped as Lambda publishes them: one sample per invocation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.client import BaseClient

from sandbox.aws.lambda_logs import FAILED, Invocation

NAMESPACE = "AWS/Lambda"
MAX_DATA_PER_CALL = 1000


@dataclass
class LambdaMetrics:
    """What Lambda publishes for one function, minute by minute: Invocations, Errors, Duration, Throttles.

    Errors is 0 or 1 per invocation, so its Average is the error rate and its Sum the count, as in AWS.
    """

    function: str
    invocations: Counter[datetime] = field(default_factory=Counter)
    errors: Counter[datetime] = field(default_factory=Counter)
    durations: dict[datetime, Counter[float]] = field(default_factory=dict)
    throttles: Counter[datetime] = field(default_factory=Counter)

    def record(self, start: datetime, invocation: Invocation) -> None:
        minute = _minute(start)
        self.invocations[minute] += 1
        self.errors[minute] += invocation.outcome in FAILED
        self.durations.setdefault(minute, Counter())[invocation.duration_ms] += 1

    def throttle(self, at: datetime) -> None:
        self.throttles[_minute(at)] += 1

    def put(self, cloudwatch: BaseClient) -> None:
        data: list[dict[str, Any]] = []
        for minute, count in sorted(self.invocations.items()):
            failed = self.errors[minute]
            data.append(self._samples("Invocations", minute, {1.0: count}, "Count"))
            data.append(self._samples("Errors", minute, {1.0: failed, 0.0: count - failed}, "Count"))
            data.append(self._samples("Duration", minute, self.durations[minute], "Milliseconds"))
        for minute, count in sorted(self.throttles.items()):
            data.append(self._samples("Throttles", minute, {1.0: count}, "Count"))
        for start in range(0, len(data), MAX_DATA_PER_CALL):
            cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start : start + MAX_DATA_PER_CALL])

    def _samples(self, name: str, minute: datetime, counts: dict[float, int], unit: str) -> dict[str, Any]:
        present = {value: count for value, count in counts.items() if count > 0}
        return {
            "MetricName": name,
            "Dimensions": [{"Name": "FunctionName", "Value": self.function}],
            "Timestamp": minute,
            "Values": list(present),
            "Counts": [float(count) for count in present.values()],
            "Unit": unit,
        }


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)
