"""Between moto's SNS and the bot: moto delivers over HTTP to this relay, signed with a key nobody can fetch the
certificate of; the relay signs each delivery again with the fake SNS's key, points it at that certificate, and
forwards it to the bot with SNS's headers. The bot itself has no switch that turns verification off.

Given `sns_api` (moto's endpoint), a SubscriptionConfirmation's SubscribeURL, which points at moto's plain-HTTP
ConfirmSubscription, is pointed at the fake SNS's HTTPS server instead (signed as such), which passes the GET on to
moto: the bot confirms over HTTPS with an allowed host, and moto sees the subscription confirmed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from sandbox.aws.fake_sns import FakeSns, sign

SNS_HEADERS = ("x-amz-sns-message-type", "x-amz-sns-message-id", "x-amz-sns-topic-arn", "x-amz-sns-subscription-arn")


@dataclass
class Relay:
    url: str
    answers: list[int] = field(default_factory=list)
    """The bot's HTTP status for each delivery forwarded."""
    kinds: list[str] = field(default_factory=list)
    """The Type of each delivery forwarded."""
    _answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_answers(self, count: int, timeout: float = 30.0) -> list[int]:  # noqa: ASYNC109 a deadline
        """The bot's answers once it has answered `count` deliveries; TimeoutError past `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while len(self.answers) < count:
                self._answered.clear()
                await self._answered.wait()
        return self.answers


@asynccontextmanager
async def signing_relay(sns: FakeSns, bot_url: str, *, sns_api: str | None = None) -> AsyncIterator[Relay]:
    relay = Relay(url="")
    if sns_api is not None:
        sns.upstream = sns_api.rstrip("/")

    async def forward(request: web.Request) -> web.Response:
        delivery = json.loads(await request.read())
        unsigned = {k: v for k, v in delivery.items() if k not in ("Signature", "SignatureVersion")}
        subscribe_url = str(unsigned.get("SubscribeURL", ""))
        if sns.upstream is not None and subscribe_url.startswith(sns.upstream + "/"):
            unsigned["SubscribeURL"] = sns.base_url + subscribe_url[len(sns.upstream) :]
        signed = sign(unsigned | {"SigningCertURL": sns.cert_url}, sns.keys.key, delivery.get("SignatureVersion", "1"))
        headers = {name: request.headers[name] for name in SNS_HEADERS if name in request.headers}
        headers["Content-Type"] = "text/plain; charset=UTF-8"
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{bot_url}/aws/sns", data=json.dumps(signed), headers=headers) as answer,
        ):
            relay.kinds.append(str(delivery.get("Type")))
            relay.answers.append(answer.status)
            relay._answered.set()
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
        if sns_api is not None:
            sns.upstream = None
