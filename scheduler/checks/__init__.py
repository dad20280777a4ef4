"""One module per check type; each registers itself with `scheduler.registry.check`."""
