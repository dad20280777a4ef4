"""Boltwatch's sandbox, a distribution of its own (`boltwatch[sandbox]`): a local Slack (Web API, signed requests,
Socket Mode, browser view) and a seeded moto estate. Production code never imports it."""
