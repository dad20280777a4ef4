"""SQS runbook actions for `sqs_dead_letters` findings: redrive a dead-letter queue's messages back to the queues
they failed in, verified by the move task SQS runs for it (ListMessageMoveTasks) until it ends."""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient
from pydantic import BaseModel, ConfigDict, Field, computed_field

from bot.aws.runbook import Progress, VerifyPoll
from scheduler.registry import action

QUEUE_ARN = r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$"
RUNNING = {"RUNNING", "CANCELLING"}


class RedriveParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(pattern=r"^[A-Za-z0-9_-]{1,80}(\.fifo)?$", description="the dead-letter queue (`queue`)")
    queue_arn: str = Field(pattern=QUEUE_ARN, description="its ARN (`queue_arn`)")
    source_queues: str = Field(description="the queues whose dead letters it holds (`source_queues`)")
    dead_letters: int = Field(ge=0, description="the messages it held when last checked (`dead_letters`)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def messages(self) -> str:
        return "1 message" if self.dead_letters == 1 else f"{self.dead_letters} messages"


def _queue(params: RedriveParams) -> str:
    return params.queue


def _source_arn(params: RedriveParams) -> dict[str, Any]:
    return {"SourceArn": params.queue_arn}


def move_progress(sqs: BaseClient, params: dict[str, Any]) -> Progress:
    """How the queue's latest message move task goes: `moved 3 of 10` while it runs, `moved 10, failed 0` when it
    has ended (failed: what it did not move, with SQS's reason when the task failed)."""
    tasks = sqs.list_message_move_tasks(SourceArn=params["SourceArn"], MaxResults=1)["Results"]
    if not tasks:
        return Progress(done=True, text="no message move task found")
    task = tasks[0]
    moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
    to_move = task.get("ApproximateNumberOfMessagesToMove")
    if task["Status"] in RUNNING:
        return Progress(done=False, text=f"moved {moved} of {to_move}" if to_move is not None else f"moved {moved}")
    failed = max(int(to_move if to_move is not None else moved) - moved, 0)
    why = {"FAILED": f" ({task.get('FailureReason') or 'no reason given'})", "CANCELLED": " (cancelled)"}
    return Progress(
        done=True, text=f"moved {moved}, failed {failed}{why.get(task['Status'], '')}", ok=task["Status"] == "COMPLETED"
    )


@action(
    "sqs_redrive",
    title="Redrive",
    applies_to=["sqs_dead_letters"],
    when={"problem": "dlq"},
    service="sqs",
    operation="StartMessageMoveTask",
    # What AWS documents a DLQ redrive needs: the task receives from the DLQ, sends to the source and deletes.
    permissions=[
        "sqs:StartMessageMoveTask",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:SendMessage",
    ],
    params=RedriveParams,
    resource=_queue,
    confirm="Redrive {messages} from {queue} back to {source_queues}: SQS moves them in the background, each to "
    "the queue it came from, where its consumers receive it again.",
    reversible="no undo: moved messages are back in their queue, and those that fail again return to the "
    "dead-letter queue",
    verify=VerifyPoll(
        "ListMessageMoveTasks",
        move_progress,
        _source_arn,
        permissions=("sqs:ListMessageMoveTasks",),
        # A few seconds between looks, so that the thread shows it move; half an hour before it is unverified.
        delay_seconds=5,
        max_attempts=360,
    ),
)
def sqs_redrive(params: RedriveParams) -> dict[str, Any]:
    """Move a dead-letter queue's messages back to the queues they failed in."""
    return _source_arn(params)
