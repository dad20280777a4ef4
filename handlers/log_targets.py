"""Turn a command's TARGET and scope into one log group, or a usage error with real names to choose from."""

from __future__ import annotations

from dataclasses import dataclass

from bot.aws.logs import LAMBDA_PREFIX, all_group_names, resolve_target
from bot.commands import Usage
from bot.ids import Command
from bot.services import Services
from handlers.grammar import Scope, did_you_mean
from handlers.usage import UsageError, quoted


class AmbiguousTarget(UsageError):
    """A TARGET that names several log groups; the reply offers each as a button that runs `command` again."""

    def __init__(self, target: str, candidates: list[str], usage: str, command: Command) -> None:
        choices = ", ".join(f"{quoted(c)}" for c in candidates)
        super().__init__(f"{quoted(target)} matches several log groups: {choices}. Pick one.", usage)
        self.target = target
        self.candidates = candidates
        self.command = command


@dataclass(frozen=True)
class Place:
    account: str
    region: str


def place_of(services: Services, scope: Scope, usage: Usage) -> Place:
    aws = services.settings.aws
    accounts = [a.name for a in aws.accounts]
    account = scope.account or accounts[0]
    if account not in accounts:
        problem = f"No account is called {quoted(account)}.{did_you_mean(account, accounts)}"
        raise UsageError(problem, usage.line(services.command_names))
    region = scope.region or aws.regions[0]
    return Place(account, region)


async def resolve_log_group(services: Services, place: Place, target: str, usage: Usage) -> str:
    client = await services.aws_client("logs", account=place.account, region=place.region)
    resolution = await services.executor.run(resolve_target, client, target)
    if resolution.log_group is not None:
        return resolution.log_group
    if resolution.candidates:
        raise AmbiguousTarget(target, list(resolution.candidates), usage.line(services.command_names), usage.command)
    names = await services.executor.run(all_group_names, client)
    short = [n.removeprefix(LAMBDA_PREFIX) for n in names if n.startswith(LAMBDA_PREFIX)]
    hint = did_you_mean(target, short + names)
    raise UsageError(
        f"No Lambda function or log group {quoted(target)} in {place.account} / {place.region}.{hint}",
        usage.line(services.command_names),
    )
