"""Slack delivery: the outbox, its drainer, the Web API client, App Home, digests and wait messages. The only code
that calls the Slack Web API, besides a listener's own ack and respond."""
