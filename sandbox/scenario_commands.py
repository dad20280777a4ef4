"""The `:` commands of the sandbox prompt and the browser's scenario panel: things that happen to the estate."""

from __future__ import annotations

from sandbox.aws.alarms import calm_alarm_storm, fire_alarm_storm, set_alarm_state
from sandbox.aws.estate import Estate
from sandbox.aws.impaired_instances import impair_instance
from sandbox.aws.queues import DEAD_LETTER_QUEUE
from sandbox.aws.scenarios import break_function, drop_dead_letter, set_instance_running
from sandbox.slack.web_view import Scenario
from sandbox.story import ALERT_WITHIN_SECONDS, STORM_SIZE

MAX_STORM = 200
USAGE = (
    "Scenarios: :break FUNCTION, :alarm NAME ALARM|OK, :storm [N|off], :dead-letter, :impair-instance, "
    ":stop-instance, :start-instance, :wait-for-alert [SECONDS], :quit"
)


def run_scenario(line: str, estate: Estate) -> str:
    """Do what a `:` line asks to the emulated AWS and say what happened (blocking: run it in a thread)."""
    name, *args = line.removeprefix(":").split() or [""]
    if name == "break" and len(args) == 1:
        return break_named(estate, args[0])
    if name == "alarm" and len(args) == 2 and args[1].upper() in {"ALARM", "OK"}:
        return alarm(estate, args[0], args[1].upper())
    if name == "storm" and args == ["off"]:
        return f"{len(calm_alarm_storm(estate.endpoint, estate.region))} storm alarms are OK again."
    if name == "storm" and len(args) <= 1 and all(arg.isdigit() and 0 < int(arg) <= MAX_STORM for arg in args):
        return storm(estate, int(args[0]) if args else STORM_SIZE)
    if name == "dead-letter" and not args:
        return dead_letter(estate)
    if name == "impair-instance" and len(args) <= 1:
        return impaired(estate, args[0] if args else estate.instance_id)
    if name in {"stop-instance", "start-instance"} and len(args) <= 1:
        return instance(estate, args[0] if args else estate.instance_id, running=name == "start-instance")
    return USAGE


def break_named(estate: Estate, function: str) -> str:
    broken = break_function(estate.endpoint, function, estate.region)
    return (
        f"{function} failed {len(broken.request_ids)} times (its logs and metrics show it); "
        f"an alert follows within {ALERT_WITHIN_SECONDS} s."
    )


def alarm(estate: Estate, name: str, state: str) -> str:
    set_alarm_state(estate.endpoint, name, state, "set from the sandbox", estate.region)
    return f"alarm {name} is now {state}."


def storm(estate: Estate, count: int) -> str:
    names = fire_alarm_storm(estate.endpoint, count, estate.region)
    return f"{len(names)} alarms ({names[0]} … {names[-1]}) are in ALARM: watch them share one message."


def dead_letter(estate: Estate) -> str:
    order = drop_dead_letter(estate.endpoint, estate.dlq_url, estate.region)
    return f"order {order} landed in {DEAD_LETTER_QUEUE}."


def impaired(estate: Estate, instance_id: str) -> str:
    impair_instance(instance_id, estate.region, estate.account_id)
    return f"{instance_id}'s instance status check fails (reachability) until it is rebooted."


def instance(estate: Estate, instance_id: str, *, running: bool) -> str:
    return f"{instance_id} is {set_instance_running(estate.endpoint, instance_id, running, estate.region)}."


def sandbox_scenarios(estate: Estate) -> dict[str, Scenario]:
    """The browser view's scenario panel, acting on the seeded estate."""
    functions = tuple(function.name for function in estate.functions)
    instance_ids = (estate.instance_id,)
    return {
        "break_function": Scenario("Break a function", lambda name: break_named(estate, name), functions),
        "fire_alarm": Scenario(
            "Fire alarm", lambda name: alarm(estate, name, "ALARM"), (estate.alarm_ok, estate.alarm_firing)
        ),
        "clear_alarm": Scenario(
            "Clear alarm", lambda name: alarm(estate, name, "OK"), (estate.alarm_firing, estate.alarm_ok)
        ),
        "alarm_storm": Scenario("Alarm storm", lambda count: storm(estate, int(count)), (str(STORM_SIZE), "10")),
        "dead_letter": Scenario("Drop a message into the DLQ", lambda _: dead_letter(estate), (DEAD_LETTER_QUEUE,)),
        "impair_instance": Scenario("Impair instance", lambda i: impaired(estate, i), instance_ids),
        "stop_instance": Scenario("Stop instance", lambda i: instance(estate, i, running=False), instance_ids),
        "start_instance": Scenario("Start instance", lambda i: instance(estate, i, running=True), instance_ids),
    }
