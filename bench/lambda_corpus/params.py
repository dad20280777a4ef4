"""Parameter values for log messages: the parts the labelling rules say are not part of a failure's signature.

Everything here is drawn from one seeded `random.Random`, so a corpus is the same for the same seed. Each value is
of a kind the rules list as a parameter (numbers, durations, ids with digits, UUIDs, hex, e-mails, IPs, URLs, S3
URIs, quoted values, an embedded JSON document of any size or shape); words never come from here.
"""

from __future__ import annotations

import json
import random
import string

_WORDS = ("alpha", "basket", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper")
_KEYS = ("id", "sku", "qty", "price", "status", "customer", "items", "region", "tags", "retries", "meta", "total")
_BUCKETS = ("acme-orders-prod", "acme-invoices", "acme-media-ingest", "acme-exports-eu")
_HOSTS = ("api.stripe.com", "hooks.slack.com", "partner.example.net", "inventory.internal.acme.io")


class Params:
    """A seeded source of parameter values."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def num(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def ms(self, low: float = 5, high: float = 3000) -> str:
        return f"{self.rng.uniform(low, high):.2f}"

    def uuid(self) -> str:
        return "-".join(self.hex(n) for n in (8, 4, 4, 4, 12))

    def hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def order_id(self) -> str:
        return f"ord_{self.rng.randint(10_000, 99_999_999)}"

    def customer_id(self) -> str:
        return f"cus_{self.hex(4)}{self.rng.randint(100, 999)}"

    def email(self) -> str:
        return f"{self.rng.choice(_WORDS)}.{self.rng.choice(_WORDS)}{self.rng.randint(1, 99)}@example.com"

    def ip(self) -> str:
        return ".".join(str(self.rng.randint(1, 254)) for _ in range(4))

    def url(self) -> str:
        return f"https://{self.rng.choice(_HOSTS)}/v1/{self.rng.choice(_KEYS)}/{self.rng.randint(1, 99999)}"

    def s3_uri(self) -> str:
        day = f"2026/11/{self.rng.randint(1, 28):02d}"
        return f"s3://{self.rng.choice(_BUCKETS)}/{day}/{self.hex(12)}.json"

    def quoted(self) -> str:
        return "'" + self.rng.choice(_KEYS + _WORDS) + "'"

    def word_value(self) -> str:
        return self.rng.choice(_WORDS) + "-" + str(self.rng.randint(1, 999))

    def amz_request_id(self) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(20))

    def trace_id(self) -> str:
        return f"1-{self.hex(8)}-{self.hex(24)}"

    def json_doc(self, depth: int = 0) -> str:
        """A JSON document of random size and shape: one parameter, however many tokens it has."""
        document = self._value(depth)
        if not isinstance(document, dict | list):
            document = {self.rng.choice(_KEYS): document}
        return json.dumps(document, separators=self.rng.choice(((",", ":"), (", ", ": "))))

    def _value(self, depth: int) -> object:
        kind = self.rng.random()
        if depth < 2 and kind < 0.55:
            keys = self.rng.sample(_KEYS, self.rng.randint(1, 5))
            return {key: self._value(depth + 1) for key in keys}
        if depth < 2 and kind < 0.7:
            return [self._value(depth + 1) for _ in range(self.rng.randint(0, 3))]
        return self.rng.choice(
            (self.rng.randint(0, 5000), self.word_value(), None, True, round(self.rng.uniform(0, 500), 2), self.uuid())
        )
