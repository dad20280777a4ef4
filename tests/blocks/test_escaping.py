"""Text from AWS, logs and people, fed hostile into every builder, can neither ping, nor link, nor format.

Pings and links: every `<…>` token in what Slack parses is one the bot wrote — a date, a mention or channel link
made from a field that holds an id, a console link — and every `&` starts an entity.

Formatting: each scenario is rendered twice, once as drawn and once with every formatting character of the drawn
text replaced by a symbol that means nothing to Slack. Wherever the two differ the character came from outside,
and outside code it must not be one that Slack could read as a marker.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks.errors import errors_blocks
from bot.blocks.incident import incident_message
from bot.blocks.mrkdwn import bold, code_block, inline_code, plain
from bot.blocks.status import incidents_blocks
from bot.views.error_groups import GroupSummary, GroupView
from bot.views.status import IncidentLine
from tests.blocks.scenarios import EARLIER, NOW, SCENARIOS, Source, mrkdwn_texts
from tests.blocks.test_incident_message import OPEN, alert_line

USER_IDS = ["U0BOB", "W0ALICE"]
CHANNEL_IDS = ["C0ALERTS", "G0PRIVATE"]
HOSTILE_PARTS = [
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S666|@oncall>", "<@U666>", "<#C666>", "<#C666|general>",
    "<https://evil.example|click>", "<mailto:a@evil.example|mail>", "<!date^1^{date}|x>", "<*>", "<", ">", "|",
    "&", "&amp;", "&lt;", "*", "_", "~", "`", "```", "＊", "＿", "～", "｀", "*bold*", "_italic_", "~struck~",
    "`code`", "a*b", "my_alarm_name", ":white_check_mark:", "\n", " ", "\u200b", "é", "🚨", "U666", "C666",
]  # fmt: skip
# What the formatting characters become in the second rendering: one symbol each, none of them a letter, a digit,
# a marker, or a character that escaping changes. The drawn text never contains them, so the change is one to one.
NEUTRAL = str.maketrans({"*": "¤", "_": "§", "~": "¶", "`": "©", "＊": "®", "＿": "°", "～": "±", "｀": "¬"})
MARKERS = "*_~`＊＿～｀"
MAY_SIT_MID_WORD = "*_~"

hostile = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_PARTS),
        st.text(st.characters(exclude_characters="¤§¶©®°±¬", exclude_categories=("Cs",)), max_size=6),
    ),
    max_size=8,
).map("".join)
DRAWS = {
    "text": hostile,
    "line": hostile,
    "user": st.one_of(st.sampled_from(USER_IDS), hostile),
    "channel": st.one_of(st.sampled_from(CHANNEL_IDS), hostile),
    "url": st.one_of(hostile.map(lambda s: "https://console.aws.amazon.com/" + s), hostile),
}
DATE = r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>"
TOKEN = re.compile(rf"{DATE}|<@(?P<user>[A-Z0-9]+)>|<#(?P<channel>[A-Z0-9]+)>|<https://[^|<>\s]*\|console>")


def source(data: st.DataObject) -> Source:
    return Source(
        draw=lambda kind: data.draw(DRAWS[kind], label=kind),
        count=lambda kind: data.draw(st.integers(0, 3), label=kind),
    )


def foreign_tokens(text: str, src: Source) -> list[str]:
    """The `<…>`, `<` and `>` in `text` that the bot did not write, and every `&` that does not start an entity."""
    foreign = []
    for match in re.finditer(r"<[^<>]*>", text):
        token = TOKEN.fullmatch(match.group())
        allowed = token is not None and (
            (token["user"] is None or token["user"] in src.given("user"))
            and (token["channel"] is None or token["channel"] in src.given("channel"))
        )
        if not allowed:
            foreign.append(match.group())
    leftover = re.sub(r"<[^<>]*>", "", text)
    foreign += re.findall(r"[<>]", leftover) + re.findall(r"&(?!amp;|lt;|gt;)", leftover)
    return foreign


def literal_spans(text: str) -> list[bool]:
    """Which characters of `text` Slack does not format: code blocks, inline code, and `<…>` tokens."""
    literal = [False] * len(text)
    masked = text
    for pattern in (r"```.*?```", r"`[^`]*`", r"<[^<>]*>"):
        for match in re.finditer(pattern, masked, re.DOTALL):
            literal[match.start() : match.end()] = [True] * (match.end() - match.start())
            masked = masked[: match.start()] + "\0" * (match.end() - match.start()) + masked[match.end() :]
    return literal


def is_word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalnum()


def live_markers_from_outside(drawn: str, neutral: str) -> list[str]:
    """The formatting characters that came from outside (where the two renderings differ) and could format."""
    assert len(drawn) == len(neutral), "the two renderings should differ only in the characters replaced"
    literal = literal_spans(drawn)
    live = []
    for i, (a, b) in enumerate(zip(drawn, neutral, strict=True)):
        mid_word = a in MAY_SIT_MID_WORD and is_word(drawn, i - 1) and is_word(drawn, i + 1)
        if a != b and a in MARKERS and not literal[i] and not mid_word:
            live.append(drawn[max(0, i - 20) : i + 20])
    return live


@pytest.mark.parametrize("name", SCENARIOS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_outside_text_can_neither_ping_link_nor_format(name: str, data: st.DataObject) -> None:
    src = source(data)
    outputs = SCENARIOS[name](src)
    neutral_outputs = SCENARIOS[name](src.replay(lambda value: value.translate(NEUTRAL)))

    assert len(outputs) == len(neutral_outputs)
    for output, neutral in zip(outputs, neutral_outputs, strict=True):
        texts, neutral_texts = mrkdwn_texts(output), mrkdwn_texts(neutral)
        assert len(texts) == len(neutral_texts)
        for text, neutral_text in zip(texts, neutral_texts, strict=True):
            assert foreign_tokens(text, src) == [], text
            assert live_markers_from_outside(text, neutral_text) == [], text


# --- the defects reported in issue 14, one by one -------------------------------------------------------------------


def test_an_alarm_named_bold_is_shown_as_written_and_the_bot_s_own_bold_still_holds() -> None:
    group = replace(OPEN, alerts=[alert_line("*bold*"), alert_line("_x_ ~y~ `z`")])
    text, blocks = incident_message(group, now=NOW)

    assert text == "OPEN critical: ∗bold∗ (+1 more)"
    listing = blocks[2]["text"]["text"]
    assert listing.startswith("*2 of 2 alerts firing*\n")
    assert "• ∗bold∗ — `orders-api`" in listing and "• ˍxˍ ∼y∼ ˋzˋ — `orders-api`" in listing


def test_a_template_placeholder_does_not_break_the_bold_count_of_errors() -> None:
    summary = GroupSummary("k", "template", "GET /orders/<*> failed: *<*>*", "GET /orders/<*>", None, count=42,
                           first_seen=EARLIER, last_seen=NOW, samples=["GET /orders/17 failed: *17*"])  # fmt: skip
    _, blocks = errors_blocks(log_group="/aws/lambda/orders", groups=[GroupView(1, summary, "new")],
                              since=NOW - EARLIER, end=NOW, scanned=100, truncated=False)  # fmt: skip

    group = blocks[1]["text"]["text"]
    assert group.startswith("*42×* GET /orders/&lt;∗&gt; failed: ∗&lt;∗&gt;∗ · :new: new")
    assert "```\nGET /orders/17 failed: *17*\n```" in group


def test_incidents_and_app_home_keep_a_title_with_stars_and_backticks_inside_the_bold() -> None:
    line = IncidentLine(3, "orders * `p99` <*> latency", "critical", "open", EARLIER, 2)
    text = incidents_blocks([line])[0]["text"]["text"]

    assert text.startswith("*#3 orders ∗ ˋp99ˋ &lt;∗&gt; latency* — critical, open, 2 firing")


# --- the one place -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("*bold* _italic_ ~struck~ `code`", "∗bold∗ ˍitalicˍ ∼struck∼ ˋcodeˋ"),
        ("orders_api_errors a*b x~y", "orders_api_errors a*b x~y"),
        ("_leading trailing_ __dunder__", "ˍleading trailingˍ ˍˍdunderˍˍ"),
        ("<!here> & <*>", "&lt;!here&gt; &amp; &lt;∗&gt;"),
        ("＊full＊ ｀width｀", "﹡full﹡ ˋwidthˋ"),
    ],
)
def test_plain_shows_text_as_written_and_keeps_names_copyable(raw: str, shown: str) -> None:
    assert plain(raw) == shown


def test_bold_outside_text_cannot_end_early_nor_span_lines() -> None:
    assert bold("  a *b*\nc ") == "*a ∗b∗ c*"
    assert bold(" \n ") == ""


def test_code_keeps_its_text_but_cannot_be_closed_by_it() -> None:
    assert inline_code("rm -rf *`x`\n<!here>") == "`rm -rf *ˋxˋ &lt;!here&gt;`"
    assert code_block("a ```` *b*") == "```\na ``ˋˋ *b*\n```"
