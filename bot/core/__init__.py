"""The domain: findings → alerts → incidents, decisions with named reasons, routing, silences, access, incident
actions, check health, best-practice decisions, error groups, wait jobs. No Slack, no Block Kit, no AWS."""
