"""Between moto's SNS and the bot: moto delivers over HTTP to this relay, signed with a key nobody can fetch the
certificate of; the relay signs each delivery again with the fake SNS's key, points it at that certificate, and
forwards it to the bot. The bot itself has no switch that turns verification off."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.push.fake_sns import FakeSns, sign


@dataclass
class Relay:
    url: str
    answers: list[int] = field(default_factory=list)
    """The bot's HTTP status for each delivery forwarded."""


@asynccontextmanager
async def signing_relay(sns: FakeSns, bot_url: str) -> AsyncIterator[Relay]:
    relay = Relay(url="")

    async def forward(request: web.Request) -> web.Response:
        delivery = json.loads(await request.read())
        unsigned = {k: v for k, v in delivery.items() if k not in ("Signature", "SignatureVersion")}
        signed = sign(unsigned | {"SigningCertURL": sns.cert_url}, sns.keys.key, delivery.get("SignatureVersion", "1"))
        async with aiohttp.ClientSession() as http, http.post(
            f"{bot_url}/aws/sns", data=json.dumps(signed), headers={"Content-Type": "text/plain; charset=UTF-8"}
        ) as answer:
            relay.answers.append(answer.status)
            return web.Response(status=answer.status)

    app = web.Application()
    app.router.add_post("/", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    relay.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]
    try:
        yield relay
    finally:
        await runner.cleanup()
