"""moto's AWS emulator in this process, on loopback, and boto3 clients that talk to it."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

import boto3
from botocore.client import BaseClient
from botocore.config import Config

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

SANDBOX_ACCESS_KEY = "testing"
SANDBOX_SECRET_KEY = "testing"
SANDBOX_ACCOUNT_ID = "123456789012"
"""The account moto maps every plain fake access key to."""


@dataclass
class MotoHandle:
    """A running moto server; `endpoint` is its base URL."""

    endpoint: str
    server: ThreadedMotoServer

    def reset(self) -> None:
        """Forget every resource in every account and region, and end every Live Tail session, back to AWS's
        behaviour (sandbox/aws/live_tail.py): a session whose client went away lingers until its next update
        fails to send, and would be counted as a later client's.

        moto keeps its state per process, not per server: this empties every moto server in the process.
        """
        from sandbox.aws import live_tail

        live_tail.break_sessions("moto was reset")
        live_tail.reset()
        post_moto_api(self.endpoint, "/moto-api/reset", b"")

    def stop(self) -> None:
        from sandbox.aws import live_tail

        live_tail.break_sessions("the server is stopping")  # a streaming response would outlive the server
        self.server.stop()

    def environment(self, region: str = "us-east-1") -> dict[str, str]:
        """Environment variables that point boto3 (and so the bot) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
            "AWS_DEFAULT_REGION": region,
        }

    def __enter__(self) -> MotoHandle:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def start_moto() -> MotoHandle:
    """Start moto on 127.0.0.1 at a free port (never on all interfaces) and wait until it answers; taught what the
    sandbox needs and moto lacks: a redrive's message move tasks, instances whose status checks fail, Live Tail
    sessions that stream, alarms' state history, and SNS http(s) subscriptions that wait for their confirmation."""
    from moto.server import ThreadedMotoServer

    from sandbox.aws import alarm_history, impaired_instances, live_tail, message_moves, sns_confirmations

    alarm_history.install()
    message_moves.install()
    impaired_instances.install()
    live_tail.install()
    sns_confirmations.install()

    # werkzeug prints every request to stderr unless its logger has a level of its own.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoHandle(endpoint=f"http://{host}:{port}", server=server)


def use_lambda_without_docker(endpoint: str) -> None:
    """Let moto create Lambda functions without Docker; functions created before this switch vanish."""
    post_moto_api(endpoint, "/moto-api/config", json.dumps({"lambda": {"use_docker": False}}).encode())


MOTO_API_TIMEOUT_SECONDS = 60.0
"""moto is local and its control calls are short, but a shared CI machine has been seen to stall for 12 s: a
shorter wait fails a test for the machine's sake, not moto's."""


def post_moto_api(endpoint: str, path: str, body: bytes) -> bytes:
    """POST to moto's own control API (`/moto-api/...`)."""
    request = urllib.request.Request(
        endpoint + path, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=MOTO_API_TIMEOUT_SECONDS) as response:
        return response.read()


def sandbox_client(endpoint: str, service: str, region: str = "us-east-1") -> BaseClient:
    """A client for the emulated estate itself (not the bot's), failing fast on moto's 500s; no host prefixes
    (StartLiveTail's `stream-`), which a loopback endpoint has no name for."""
    session = boto3.Session(
        aws_access_key_id=SANDBOX_ACCESS_KEY, aws_secret_access_key=SANDBOX_SECRET_KEY, region_name=region
    )
    return session.client(
        service, endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}, inject_host_prefix=False)
    )
