"""The hosts a delivery's URLs (its signing certificate, a subscription's confirmation) may point at: Amazon SNS's
in every AWS partition by default, over HTTPS only. Light on purpose: the settings import it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

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
REGION_LABEL = r"[a-z]{2,4}(?:-[a-z]+){1,3}-[0-9]{1,2}"
"""What `*` matches: a region's name (`us-east-1`, `cn-north-1`, `us-gov-west-1`, `us-iso-east-1`,
`eusc-de-east-1`), never any other label: `sns.s3.amazonaws.com` is an S3 bucket named `sns`, whose files anyone can
put there."""
CERTIFICATE_PATH = re.compile(r"/SimpleNotificationService-[A-Za-z0-9]+\.pem")
"""The path of every signing certificate SNS serves (`/SimpleNotificationService-<hex>.pem`)."""
HOST_PATTERN = re.compile(r"^(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.(\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?))*$")
"""A host name, or one with `*` for whole labels; what `push.sns.cert_hosts` takes."""


class UrlNotAllowed(ValueError):
    """A URL the bot will not fetch: not HTTPS, or its host is not an allowed SNS host."""


def _host_pattern(host: str) -> re.Pattern[str]:
    labels = (REGION_LABEL if label == "*" else re.escape(label) for label in host.lower().split("."))
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

    def certificate_problem(self, url: str) -> str | None:
        """Why `url` is not where SNS keeps a signing certificate, or None: an allowed host, and the path SNS
        serves certificates at, without a query."""
        if problem := self.problem(url):
            return problem
        parts = urlsplit(url)
        if not CERTIFICATE_PATH.fullmatch(parts.path) or parts.query or parts.fragment:
            return "the path is not that of an SNS signing certificate (/SimpleNotificationService-….pem)"
        return None

    def confirmation_problem(self, url: str, *, topic_arn: str, token: str) -> str | None:
        """Why `url` is not SNS's ConfirmSubscription call for this confirmation, or None: an allowed host, the path
        `/`, and exactly the query SNS sends (`Action=ConfirmSubscription`, the message's own `TopicArn` and
        `Token`), so that a SubscribeURL can only ever confirm the subscription its signed message is about. The
        reason never repeats the token."""
        if problem := self.problem(url):
            return problem
        parts = urlsplit(url)
        if parts.path != "/" or parts.fragment:
            return "the path is not that of SNS's API (/)"
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return "the query cannot be parsed"
        if set(query) != {"Action", "TopicArn", "Token"} or any(len(values) != 1 for values in query.values()):
            return "the query is not Action, TopicArn and Token, once each"
        if query["Action"] != ["ConfirmSubscription"]:
            return "the action is not ConfirmSubscription"
        if query["TopicArn"] != [topic_arn]:
            return "its TopicArn is not the message's"
        if query["Token"] != [token]:
            return "its Token is not the message's"
        return None
