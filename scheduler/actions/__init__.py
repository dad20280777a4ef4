"""Runbook actions, one module per service; each registers itself with `scheduler.registry.action`."""
