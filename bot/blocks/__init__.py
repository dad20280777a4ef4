"""Pure Block Kit builders: views in, `(text, blocks)` out. No database, no AWS, no clock, no Slack client."""
