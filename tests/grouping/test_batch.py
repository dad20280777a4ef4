from __future__ import annotations

from bot.grouping import group_messages


def _groups(messages: list[str]) -> list[set[int]]:
    ids = group_messages(messages)
    by_id: dict[object, set[int]] = {}
    for index, group_id in enumerate(ids):
        by_id.setdefault(group_id, set()).add(index)
    return sorted(by_id.values(), key=min)


def test_returns_one_group_id_per_message() -> None:
    messages = ["a 1", "a 2", "b"]
    assert len(group_messages(messages)) == len(messages)


def test_empty_input_gives_empty_output() -> None:
    assert group_messages([]) == []


def test_same_template_with_different_ids_is_one_group() -> None:
    messages = [
        f"Failed to charge card for order {order} after {tries} retries"
        for order, tries in [(1001, 1), (1002, 3), (88, 2)]
    ]
    assert _groups(messages) == [{0, 1, 2}]


def test_word_that_varies_a_lot_becomes_a_parameter() -> None:
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
    messages = [f"Invalid user {user} from 10.0.0.{i}" for i, user in enumerate(users)]
    assert _groups(messages) == [set(range(len(users)))]


def test_word_with_few_values_separates_templates() -> None:
    messages = [f"Instance {i} started" for i in range(5)] + [f"Instance {i} stopped" for i in range(5)]
    assert _groups(messages) == [set(range(5)), set(range(5, 10))]


def test_different_lengths_are_different_groups() -> None:
    messages = ["connection reset by peer", "connection reset", "connection reset by peer"]
    assert _groups(messages) == [{0, 2}, {1}]


def test_optional_value_parts_do_not_split_a_template() -> None:
    messages = [
        "proxy:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01",
        "proxy:5070 close, 451 bytes sent, 18846 bytes (18.4 KB) received, lifetime <1 sec",
        "proxy:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02",
    ]
    assert _groups(messages) == [{0, 1, 2}]


def test_lambda_lines_with_request_ids_group_by_message() -> None:
    prefix = "2024-05-01T10:00:0{0}.000Z\t6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d1{0}\t"
    messages = [prefix.format(i) + f"ERROR\tPayment {900 + i} declined" for i in range(3)]
    messages.append(prefix.format(9) + "INFO\tPayment 903 accepted")
    assert _groups(messages) == [{0, 1, 2}, {3}]


def test_group_ids_depend_on_content_not_on_order() -> None:
    messages = ["job 1 done", "disk full on /dev/sda1", "job 2 done"]
    forward = group_messages(messages)
    backward = group_messages(messages[::-1])[::-1]
    assert forward == backward
