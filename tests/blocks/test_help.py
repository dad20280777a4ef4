"""`/boltwatch help` lists every command under the name in use, with every keyword the grammar takes."""

from __future__ import annotations

from bot.blocks.help import USAGE, help_blocks, help_text
from bot.commands import UNPREFIXED, CommandNames
from handlers.boltwatch_command import AVAILABLE


def shown(names: CommandNames = UNPREFIXED) -> str:
    return str(help_blocks(AVAILABLE, names)) + help_text(AVAILABLE, names)


def test_help_lists_every_subcommand_unmute_included() -> None:
    assert set(AVAILABLE) == set(USAGE)
    assert "`/boltwatch unmute TARGET`" in shown()


def test_help_says_how_to_quote_a_phrase_of_several_words() -> None:
    assert 'A phrase of several words goes in quotes: `filter "resize failed"`' in shown()


def test_every_aws_command_shows_account_and_region() -> None:
    for command in ("/logs TARGET", "/errors TARGET", "/wait SERVICE"):
        lines = help_text(AVAILABLE).removeprefix("Boltwatch commands: ").split("; ")
        line = next(line for line in lines if line.startswith(command))
        assert line.endswith("[account NAME] [region REGION]")


def test_help_names_the_commands_as_the_prefix_makes_them() -> None:
    text = shown(CommandNames("bw-"))
    assert "`/bw-logs TARGET" in text and "`/bw-errors TARGET" in text and "`/bw-wait SERVICE" in text
    assert "/logs" not in text.replace("/bw-logs", "") and "`/boltwatch status`" in text
