"""The hosts a delivery's URLs (its signing certificate, a subscription's confirmation) may point at: Amazon SNS's
in every AWS partition by default, over HTTPS only. Light on purpose: the settings import it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SNS_CERT_HOSTS = (
    "sns.*.amazonaws.com",  # aws and aws-us-gov
    "sns.*.amazonaws.com.cn",  # aws-cn
    "sns.*.amazonaws.eu",  # aws-eusc
    "sns.*.c2s.ic.gov",  # aws-iso
    "sns.*.sc2s.sgov.gov",  # aws-iso-b
    "sns.*.cloud.adc-e.uk",  # aws-iso-e
    "sns.*.csp.hci.ic.gov",  # aws-iso-f
)
"""SNS's hosts in every AWS partition: `*` stands for one region name (`sns.us-east-1.amazonaws.com`)."""
HOST_PATTERN = re.compile(r"^(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?))*$")
"""A host name, or one with `*` for whole labels; what `push.sns.cert_hosts` takes."""


class UrlNotAllowed(ValueError):
    """A URL the bot will not fetch: not HTTPS, or its host is not an allowed SNS host."""


def _host_pattern(host: str) -> re.Pattern[str]:
    labels = ("[a-z0-9-]+" if label == "*" else re.escape(label) for label in host.lower().split("."))
    return re.compile("^" + r"\.".join(labels) + "$")


class SnsHosts:
    """Which hosts a delivery's URLs may point at."""

    def __init__(self, hosts: tuple[str, ...] | list[str] = SNS_CERT_HOSTS) -> None:
        self._patterns = [_host_pattern(host) for host in hosts]

    def problem(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            _ = parts.port  # a port that is not a number raises here
        except ValueError:
            return "the URL cannot be parsed"
        if parts.scheme != "https":
            return f"the URL is not https but {parts.scheme or 'relative'}"
        if parts.username or parts.password:
            return "the URL carries credentials"
        if not any(pattern.match(host) for pattern in self._patterns):
            return f"{host or 'no host'} is not an allowed SNS host"
        return None
