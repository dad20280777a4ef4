"""Engines that run the checks' targets: embedded (APScheduler 3 in-process, `scheduler.runner.CheckRunner`) and
distributed (Procrastinate workers over PostgreSQL, `distributed`)."""
