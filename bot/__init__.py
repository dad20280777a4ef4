"""Boltwatch: a Slack bot that keeps AWS systems up. The layers, top to bottom (import-linter keeps them, see
pyproject.toml): `cli`/`app` (entry points and composition root) → `handlers`/`scheduler` (what Slack and time call
into) → `services` → `config` → `core` (the domain) → `delivery` (the one Slack writer) → `blocks` (Block Kit) →
`views` (read models) → `store`/`aws`/`grouping` (the edges) → `ids`/`durations`/`enums`/`runtime`."""
