"""The bounded worker pool that runs every boto3 call off the event loop: daemon threads (`DaemonPool`), so that a
call stuck in boto3 is abandoned at shutdown, not joined."""

from __future__ import annotations

from bot.aws.settings import AwsSettings
from bot.runtime.daemon_pool import DaemonPool


class AwsExecutor(DaemonPool):
    """Runs blocking AWS work in at most `max_workers` daemon threads and counts the calls in flight.

    For Prometheus: `metrics.aws_calls_in_flight.set_function(lambda: executor.in_flight)`.
    """

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers, name="boltwatch-aws")

    @classmethod
    def from_settings(cls, settings: AwsSettings) -> AwsExecutor:
        return cls(settings.max_workers)
