"""Ids and amounts of the sandbox's imaginary shop, shared by the functions' stories."""

from __future__ import annotations

import random


def order_id(rng: random.Random) -> str:
    return f"ord-{rng.randint(10400, 10999)}"


def customer_id(rng: random.Random) -> str:
    return f"c-{rng.randint(1000, 9999)}"


def euros(rng: random.Random) -> str:
    return f"{rng.uniform(9, 480):.2f}"
