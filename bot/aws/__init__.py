"""AWS access: sessions (accounts, regions, assumed roles), quotas, logs, metrics, waiters, tags, the IAM policy.
It knows nothing of Slack, commands or the database."""
