"""Prometheus metrics, one registry per app so that several apps can live in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "boltwatch_http_requests", "HTTP requests served.", ["path", "status"], registry=self.registry
        )
        self.http_latency = Histogram(
            "boltwatch_http_request_seconds",
            "Time to answer an HTTP request.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.check_runs = Counter(
            "boltwatch_check_runs", "Check runs by result.", ["check", "result"], registry=self.registry
        )
        self.check_seconds = Histogram(
            "boltwatch_check_run_seconds", "Duration of check runs.", ["check"], registry=self.registry
        )
        self.check_yield_seconds = Counter(
            "boltwatch_check_yield_seconds",
            "Time check runs waited for a quiet moment between Slack requests (acks first).",
            ["check"],
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "boltwatch_slack_api_calls", "Slack Web API calls.", ["method"], registry=self.registry
        )
        self.slack_errors = Counter(
            "boltwatch_slack_api_errors", "Slack Web API errors.", ["method", "error"], registry=self.registry
        )
        self.sns_deliveries = Counter(
            "boltwatch_sns_deliveries",
            "Deliveries to POST /aws/sns by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.aws_calls_in_flight = Gauge(
            "boltwatch_aws_calls_in_flight", "boto3 calls running on the worker pool.", registry=self.registry
        )
        self.scheduler_leader = Gauge(
            "boltwatch_scheduler_leader",
            "1 on the replica holding the scheduler lock (it runs the embedded engine's checks), 0 elsewhere.",
            registry=self.registry,
        )

        # Distributed engine (`boltwatch worker`): its jobs, and the queue as PostgreSQL holds it at scrape time.
        self.check_jobs = Counter(
            "boltwatch_check_jobs",
            "Check target jobs by event: started, succeeded, failed, retried (a stalled job put back), repeat (its"
            " tick was recorded already).",
            ["check", "event"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "boltwatch_queue_depth", "Jobs due and waiting for a worker.", registry=self.registry
        )
        self.queue_oldest_seconds = Gauge(
            "boltwatch_queue_oldest_waiting_seconds",
            "How long the oldest due job has waited for a worker.",
            registry=self.registry,
        )
        self.stalled_jobs = Gauge(
            "boltwatch_stalled_jobs", "Jobs running on workers whose heartbeat stopped.", registry=self.registry
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
