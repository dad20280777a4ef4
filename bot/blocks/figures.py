"""A message with its figure: the blocks it was posted with, the figure's image block in its place."""

from __future__ import annotations

from typing import Any

from bot.blocks.charts import chart_message
from bot.blocks.limits import fit_blocks


def with_figure(
    blocks: list[dict[str, Any]], *, after: str | None, file_id: str, alt_text: str, title: str, key: str
) -> list[dict[str, Any]]:
    """`blocks` with the image block (`block_id` `chart-<key>`) after the block whose id is `after` (at the end
    when there is none)."""
    _fallback, [image] = chart_message(file_id=file_id, alt_text=alt_text, title=title, key=key)
    ids = [block.get("block_id") for block in blocks]
    at = ids.index(after) + 1 if after is not None and after in ids else len(blocks)
    return fit_blocks([*blocks[:at], image, *blocks[at:]])
