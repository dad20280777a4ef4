"""Metric charts as PNG: plain data in, bytes and alt text out (pure: no AWS, no Slack, no database, no clock)."""
