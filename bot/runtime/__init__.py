"""Process plumbing under every layer: the event loop, heap freezing, log redaction, metrics, acks first."""
