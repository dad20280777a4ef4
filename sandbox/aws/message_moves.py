"""SQS message move tasks (a dead-letter queue's redrive) for moto's server: StartMessageMoveTask,
ListMessageMoveTasks and CancelMessageMoveTask.

moto (5.2.6, the newest on PyPI) does not implement them. `install()` adds them to moto's `SQSResponse`, which
dispatches by action name, so a boto3 client speaking SQS's JSON protocol to the server gets them as AWS documents
them (API reference; the shapes of botocore's model, which moto's serializer follows). Drop this module once moto
implements them: `install()` already leaves alone an operation moto has.

As SQS does: the source must be a dead-letter queue of some queue (even with a DestinationArn); one running task a
source; a task moves the messages visible when it starts, each received from the source, sent to its destination
and deleted from the source, in a thread of its own at MaxNumberOfMessagesPerSecond (or at DEFAULT_RATE), so
ListMessageMoveTasks shows it progress; a destination deleted meanwhile fails the task with the error SQS gives
(`AWS.SimpleQueueService.NonExistentQueue`); a task handle is base64 of `{"taskId", "sourceArn"}`; errors carry
SQS's codes and messages (those of tasks in AWS, as LocalStack's snapshot tests recorded them).
Not as SQS does: moto's own redrive into a DLQ forgets where a message came from, so without a DestinationArn every
message goes back to the first queue whose RedrivePolicy names the DLQ (SQS sends each back to its own source);
ResourceNotFoundException comes with HTTP 400, not 404 (the model gives no status and moto's serializer defaults).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import InvalidParameterValue, QueueDoesNotExist, SQSException
from moto.sqs.models import Queue, SQSBackend, sqs_backends
from moto.sqs.responses import SQSResponse

RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
MAX_RATE = 500
"""The largest MaxNumberOfMessagesPerSecond SQS takes."""
DEFAULT_RATE = 100
"""Messages a second without MaxNumberOfMessagesPerSecond (SQS picks a rate from the backlog)."""
MAX_RESULTS = 10
RECEIVE_VISIBILITY_SECONDS = 30
_lock = threading.Lock()
"""Guards every task's state: the mover threads and the requests of moto's threaded server both change it."""


class ResourceNotFound(SQSException):
    code = "ResourceNotFoundException"


@dataclass
class MoveTask:
    task_id: str
    source: Queue
    destination: Queue | None
    rate: int | None
    to_move: int
    started_ms: int
    moved: int = 0
    status: str = RUNNING
    failure_reason: str | None = None

    @property
    def handle(self) -> str:
        document = json.dumps({"taskId": self.task_id, "sourceArn": self.source.queue_arn}, separators=(",", ":"))
        return base64.b64encode(document.encode()).decode()

    def entry(self) -> dict[str, Any]:
        """The task as ListMessageMoveTasks shows it: the handle only while it runs, optional fields only if set."""
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source.queue_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        optional = {
            "TaskHandle": self.handle if self.status == RUNNING else None,
            "DestinationArn": self.destination.queue_arn if self.destination is not None else None,
            "MaxNumberOfMessagesPerSecond": self.rate,
            "FailureReason": self.failure_reason,
        }
        return entry | {key: value for key, value in optional.items() if value is not None}


def install() -> None:
    """Add the three operations to moto's SQS (before its server starts); one moto has already is left alone."""
    operations = {
        "start_message_move_task": _start_message_move_task,
        "list_message_move_tasks": _list_message_move_tasks,
        "cancel_message_move_task": _cancel_message_move_task,
    }
    for name, operation in operations.items():
        if not hasattr(SQSResponse, name):
            setattr(SQSResponse, name, operation)


def _start_message_move_task(response: SQSResponse) -> ActionResult:
    backend, source = _queue_of(response._get_param("SourceArn"), "SourceArn")
    destination_arn = response._get_param("DestinationArn")
    destination = _queue_of(destination_arn, "DestinationArn")[1] if destination_arn else None
    rate = response._get_param("MaxNumberOfMessagesPerSecond")
    if rate is not None and not 1 <= rate <= MAX_RATE:
        raise InvalidParameterValue(
            "Value for parameter MaxNumberOfMessagesPerSecond is invalid. "
            f"Reason: You must enter a number that's between 1 and {MAX_RATE}."
        )
    if not backend.list_dead_letter_source_queues(source.name):
        raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
    with _lock:
        tasks = _tasks(backend)
        if any(task.source is source and task.status == RUNNING for task in tasks):
            raise InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a source queue arn at a "
                "given time."
            )
        task = MoveTask(str(uuid.uuid4()), source, destination, rate, len(source.messages), int(time.time() * 1000))
        tasks.insert(0, task)
    threading.Thread(target=_move, args=(backend, task), name="sqs-message-move", daemon=True).start()
    return ActionResult({"TaskHandle": task.handle})


def _list_message_move_tasks(response: SQSResponse) -> ActionResult:
    backend, source = _queue_of(response._get_param("SourceArn"), "SourceArn")
    most = response._get_param("MaxResults", 1)
    if not 1 <= most <= MAX_RESULTS:
        raise InvalidParameterValue(
            f"Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and "
            f"{MAX_RESULTS}."
        )
    with _lock:
        results = [task.entry() for task in _tasks(backend) if task.source is source][:most]
    return ActionResult({"Results": results})


def _cancel_message_move_task(response: SQSResponse) -> ActionResult:
    try:
        document = json.loads(base64.b64decode(response._get_param("TaskHandle"), validate=True))
        task_id, source_arn = str(document["taskId"]), str(document["sourceArn"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidParameterValue("Value for parameter TaskHandle is invalid.") from None
    backend, source = _queue_of(source_arn, "SourceArn")
    with _lock:
        task = next((t for t in _tasks(backend) if t.task_id == task_id and t.source is source), None)
        if task is None or task.status != RUNNING:
            raise ResourceNotFound("Task does not exist.")
        task.status = CANCELLED
        return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})


def _queue_of(arn: str | None, parameter: str) -> tuple[SQSBackend, Queue]:
    """The backend (account and region) holding the queue an ARN names, and the queue."""
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[:3] != ["arn", parts[1], "sqs"] or not parts[1].startswith("aws"):
        raise InvalidParameterValue(f"Value for parameter {parameter} is invalid.")
    region, account, name = parts[3], parts[4], parts[5]
    backend = sqs_backends[account][region]
    queue = backend.queues.get(name)
    if queue is None:
        raise ResourceNotFound(f"The resource that you specified for the {parameter} parameter doesn't exist.")
    return backend, queue


def _tasks(backend: SQSBackend) -> list[MoveTask]:
    """The account and region's tasks, newest first; kept on the backend, so moto's reset forgets them."""
    tasks: list[MoveTask] = backend.__dict__.setdefault("message_move_tasks", [])
    return tasks


def _move(backend: SQSBackend, task: MoveTask) -> None:
    """Move the task's messages one at a time, at its rate, until they are moved or it ends otherwise."""
    interval = 1 / (task.rate or DEFAULT_RATE)
    while True:
        with _lock:
            if task.status != RUNNING or task not in _tasks(backend):  # cancelled, failed, or moto was reset
                return
            if task.moved >= task.to_move:
                task.status = COMPLETED
                return
            _move_one(backend, task)
        time.sleep(interval)


def _move_one(backend: SQSBackend, task: MoveTask) -> None:
    """Move one message as SQS does it: receive it from the source, send it to the destination, delete it from the
    source. None left (received or deleted by someone else meanwhile) completes the task; an error (a queue gone)
    fails it with the error's code, the message left visible in the source."""
    try:
        received = backend.receive_message(
            task.source.name, 1, 0, RECEIVE_VISIBILITY_SECONDS, message_attribute_names=["All"]
        )
        if not received:
            task.status = COMPLETED
            return
        message, handle = received[0], str(received[0].receipt_handle)
        sources = backend.list_dead_letter_source_queues(task.source.name)
        destination = task.destination or (sources[0] if sources else None)
        try:
            if destination is None:  # no queue names it as its DLQ any more
                raise QueueDoesNotExist()
            sqs_backends[destination.account_id][destination.region].send_message(
                destination.name,
                message.body,
                message_attributes=message.message_attributes,
                deduplication_id=message.deduplication_id,
                group_id=message.group_id,
            )
        except SQSException:
            backend.change_message_visibility(task.source.name, handle, visibility_timeout=0)
            raise
        backend.delete_message(task.source.name, handle)
        task.moved += 1
    except SQSException as exc:
        task.status, task.failure_reason = FAILED, exc.code
