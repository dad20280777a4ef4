"""The streaming template miner the bot keeps per log source."""

from __future__ import annotations

from bot.grouping import TemplateMiner, fingerprint
from tests.grouping import lambda_samples as samples

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]


def _login_failed(user: str) -> str:
    prefix = "2024-05-01T10:00:00.000Z\t6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11\tERROR\t"
    return f"{prefix}login failed for {user} after 3 tries"


def test_same_template_with_different_numbers_gets_one_key() -> None:
    miner = TemplateMiner()
    assert miner.add("queue 17 is 98% full").key == miner.add("queue 4 is 51% full").key


def test_words_are_never_guessed_to_be_parameters() -> None:
    miner = TemplateMiner()
    keys = {miner.add(_login_failed(user)).key for user in USERS}
    assert len(keys) == len(USERS)
    assert miner.add(_login_failed("heidi")).template == "login failed for heidi after <*> tries"


def test_keys_survive_a_restart() -> None:
    before = TemplateMiner()
    after = TemplateMiner()
    for user in USERS:
        before.add(_login_failed(user))
    assert before.add(_login_failed("zoe")).key == after.add(_login_failed("zoe")).key


def test_the_first_title_of_a_group_is_kept() -> None:
    miner = TemplateMiner()
    first = miner.add(samples.python_traceback(key="user_id"))
    assert miner.add(samples.python_traceback(key="order_id")).title == first.title == "KeyError: 'user_id'"


def test_keys_do_not_depend_on_what_else_was_seen() -> None:
    quiet = TemplateMiner()
    busy = TemplateMiner()
    for i in range(50):
        busy.add(f"unrelated message number {i}")
    assert quiet.add("cache miss for key 42").key == busy.add("cache miss for key 43").key


def test_exceptions_and_platform_errors_get_their_fingerprint() -> None:
    miner = TemplateMiner()
    assert miner.add(samples.python_traceback()) == fingerprint(samples.python_traceback())
    assert miner.add(samples.timeout()).kind == "platform"


def test_different_templates_get_different_keys() -> None:
    miner = TemplateMiner()
    assert miner.add("connection refused by db").key != miner.add("connection reset by db").key


def test_past_its_memory_bound_the_miner_keys_new_lines_as_fingerprint_does() -> None:
    miner = TemplateMiner(max_tracked=10)
    for i in range(50):
        miner.add(f"unique word{chr(97 + i % 26)}{chr(97 + i // 26)} here")
    assert len(miner) == 10
    assert miner.add("brand new line").key == fingerprint("brand new line").key


def test_a_group_shows_its_own_first_title_whatever_other_sources_saw_first() -> None:
    # Signatures are remembered by body across miners: each miner still titles a group by the first event it saw.
    payments, orders = TemplateMiner(), TemplateMiner()
    assert payments.add(samples.python_traceback(key="user_id")).title == "KeyError: 'user_id'"
    assert orders.add(samples.python_traceback(key="order_id")).title == "KeyError: 'order_id'"
    assert orders.add(samples.python_traceback(key="user_id")).title == "KeyError: 'order_id'"
    assert fingerprint(samples.python_traceback(key="user_id")).title == "KeyError: 'user_id'"


def test_one_body_under_new_prefixes_is_one_group_and_a_timeout_is_read_at_its_place() -> None:
    miner = TemplateMiner()
    first = miner.add(_login_failed("alice"))
    again = miner.add(_login_failed("alice").replace("10:00:00.000Z", "11:59:59.999Z").replace("6f1c", "0000"))
    assert again == first
    # The platform's timeout is found in a line's first 200 characters: the same body further along is no timeout.
    body = "Task timed out after 3.00 seconds"
    assert fingerprint(f"2024-05-01T10:00:00.000Z 6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11 {body}").kind == "platform"
    padded = f"2024-05-01T10:00:00.000Z {' ' * 180}6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11 {body}"
    assert fingerprint(padded).kind == "template"
