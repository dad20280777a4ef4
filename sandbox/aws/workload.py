"""A sandbox Lambda function: how it is deployed and what it prints, hour by hour and when it breaks."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.aws.lambda_logs import FunctionRuntime, Invocation

Story = Callable[[random.Random], Invocation]


@dataclass(frozen=True)
class Workload:
    name: str
    runtime: str
    handler: str
    description: str
    platform: FunctionRuntime
    hour: tuple[tuple[Story, int], ...]
    """What one seeded hour holds: each story and how many times it happened."""
    failure: Story
    """What `break_function` makes it do."""
    tags: dict[str, str] = field(default_factory=dict)
    throttles_per_hour: int = 0
