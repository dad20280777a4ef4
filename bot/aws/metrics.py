"""CloudWatch GetMetricData in batches: at most 500 queries a call, every page followed, results by query id."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from botocore.client import BaseClient

MAX_QUERIES_PER_CALL = 500
"""GetMetricData's limit; moto does not enforce it, so nothing but this module stops a bigger call."""
QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
_FAILED_STATUSES = frozenset({"Forbidden", "InternalError"})


class MetricDataError(RuntimeError):
    """CloudWatch answered, but refused or failed some queries (their ids and its messages are in the text)."""


@dataclass(frozen=True)
class MetricQuery:
    """One metric statistic to fetch: `id` is how the caller finds its values again."""

    id: str
    namespace: str
    metric: str
    stat: str
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def request(self, period: timedelta) -> dict[str, Any]:
        """The query as GetMetricData's `MetricDataQueries` takes it."""
        return {
            "Id": self.id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions.items()],
                },
                "Period": int(period.total_seconds()),
                "Stat": self.stat,
            },
            "ReturnData": True,
        }


class Datapoint(NamedTuple):
    at: datetime
    """The start of the period the value aggregates."""
    value: float


def batches(queries: Sequence[MetricQuery], size: int = MAX_QUERIES_PER_CALL) -> list[Sequence[MetricQuery]]:
    """`queries` cut into GetMetricData calls: ceil(len / size) of them."""
    return [queries[start : start + size] for start in range(0, len(queries), size)]


def metric_data(
    client: BaseClient,
    queries: Sequence[MetricQuery],
    *,
    start: datetime,
    end: datetime,
    period: timedelta,
) -> dict[str, list[Datapoint]]:
    """Every query's datapoints in [start, end), oldest first; a query with no data maps to an empty list.

    One GetMetricData call per 500 queries (plus one per further page of results). Raises `ValueError` for ids
    CloudWatch would reject and `MetricDataError` when it refuses a query (for instance for lack of permission).
    """
    _validate_ids(queries)
    values: dict[str, list[Datapoint]] = {query.id: [] for query in queries}
    for batch in batches(queries):
        _collect(client, [query.request(period) for query in batch], start=start, end=end, into=values)
    for points in values.values():
        points.sort()
    return values


def raw_query_data(
    client: BaseClient, queries: Sequence[Mapping[str, Any]], *, start: datetime, end: datetime
) -> dict[str, list[Datapoint]]:
    """The datapoints of `MetricDataQueries` given as GetMetricData takes them (a metric alarm's `Metrics`, metric
    math included), by id, oldest first: one call (plus one per further page), as they are at most 500."""
    if len(queries) > MAX_QUERIES_PER_CALL:
        raise ValueError(f"{len(queries)} metric queries; GetMetricData takes {MAX_QUERIES_PER_CALL} at most")
    values: dict[str, list[Datapoint]] = {str(query["Id"]): [] for query in queries}
    _collect(client, [dict(query) for query in queries], start=start, end=end, into=values)
    for points in values.values():
        points.sort()
    return values


def _collect(
    client: BaseClient,
    requests: list[dict[str, Any]],
    *,
    start: datetime,
    end: datetime,
    into: dict[str, list[Datapoint]],
) -> None:
    """One GetMetricData call with every page of its results, added to `into` by query id."""
    pages = client.get_paginator("get_metric_data").paginate(
        MetricDataQueries=requests, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    for page in pages:
        for result in page.get("MetricDataResults", []):
            if result.get("StatusCode") in _FAILED_STATUSES:
                messages = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
                raise MetricDataError(f"GetMetricData {result['StatusCode']} for {result['Id']}: {messages}")
            pairs = zip(result.get("Timestamps", []), result.get("Values", []), strict=True)
            into.setdefault(result["Id"], []).extend(Datapoint(at.astimezone(UTC), float(value)) for at, value in pairs)


def _validate_ids(queries: Sequence[MetricQuery]) -> None:
    bad = [query.id for query in queries if not QUERY_ID.match(query.id)]
    if bad:
        raise ValueError(f"metric query ids must match {QUERY_ID.pattern}: {', '.join(bad[:5])}")
    repeated = [query_id for query_id, count in Counter(query.id for query in queries).items() if count > 1]
    if repeated:
        raise ValueError(f"metric query ids repeat: {', '.join(repeated[:5])}")
