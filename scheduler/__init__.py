"""What time calls into: the check registry, the runner (`run_check_target`, the one way a check runs), the
checks, digests and wait jobs. It never imports `handlers`; the composition root hands it what it needs."""
