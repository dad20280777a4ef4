"""The level the writer stated, wherever the logger put it, and templates by Sentry's rules."""

from __future__ import annotations

import json

import pytest

from bot.grouping import Level, error_level, fingerprint, is_error
from bot.grouping.masking import mask

REQUEST = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11"
TS = "2026-11-02T06:00:00.120Z"


@pytest.mark.parametrize(
    ("message", "level"),
    [
        # Node.js text format: console.log(JSON.stringify(...)) is INFO to the runtime; the payload says error.
        (f'{TS}\t{REQUEST}\tINFO\t{{"level":"error","msg":"charge failed","fn":"checkout-api"}}', Level.ERROR),
        (f'{TS}\t{REQUEST}\tERROR\t{{"level":"info","msg":"started"}}', Level.INFO),
        # pino and bunyan: numeric levels.
        ('{"level":50,"time":1793599200000,"pid":8,"msg":"payment declined"}', Level.ERROR),
        ('{"level":60,"time":1793599200000,"pid":8,"msg":"cannot start"}', Level.CRITICAL),
        ('{"level":30,"time":1793599200000,"pid":8,"msg":"error budget at 80%"}', Level.INFO),
        # winston with syslog levels; Go slog JSON and text, with an offset.
        ('{"level":"crit","message":"ledger unreachable"}', Level.CRITICAL),
        ('{"level":"warning","message":"Failed to emit metric"}', Level.WARNING),
        ('{"time":"2026-11-02T06:00:00.1Z","level":"ERROR+2","msg":"resize failed"}', Level.ERROR),
        ('time=2026-11-02T06:00:00.1Z level=ERROR msg="resize failed" err="too large"', Level.ERROR),
        # Lambda's JSON format and the Python runtime's own error record.
        (f'{{"timestamp":"{TS}","level":"WARNING","message":"Error budget at 90%"}}', Level.WARNING),
        ('{"timestamp":"2026-11-02T06:00:00Z","log_level":"ERROR","errorType":"KeyError"}', Level.ERROR),
        # A level word after a prefix that states none: Go's log package, log4j's pattern.
        ("2026/11/02 06:00:00 ERROR could not reach ledger", Level.ERROR),
        (f"2026-11-02 06:00:00.120 {REQUEST} ERROR CheckoutHandler - payment failed", Level.ERROR),
        # The Python runtime's prefix is the logger's own level.
        (f"[INFO]\t{TS}\t{REQUEST}\tERROR count is 0", Level.INFO),
    ],
)
def test_the_level_stated_by_the_writer_wins(message: str, level: Level) -> None:
    assert error_level(message) is level


@pytest.mark.parametrize(
    "message",
    [
        f"{TS}\t{REQUEST}\tINFO\tprocessed 120 records, 0 errors, 3 skipped",
        f'{TS}\t{REQUEST}\tDEBUG\tforwarding {{"level":"ERROR","message":"upstream 500"}}',
        "no errors found in 12 files",
        '{"level":"info","message":"Fatal-error handler registered"}',
    ],
)
def test_lines_that_mention_errors_without_reporting_one_are_not_errors(message: str) -> None:
    assert not is_error(message)


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("order ord_42774028 for alice@example.com failed", "order <*> for <*> failed"),
        ("GET https://api.example.net/v1/orders/17 took 812ms", "GET <*> took <*>"),
        ("wrote s3://acme-orders-prod/2026/11/02/a.json from 10.0.3.7", "wrote <*> from <*>"),
        ("lock 0xc000124000 held by 6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11", "lock <*> held by <*>"),
        ('invalid: {"sku": [89.24, {"deep": [1, 2, {"x": null}]}], "tags": []}', "invalid: <*>"),
        ("invalid: true", "invalid: <*>"),
        ("unknown tenant 'acme' in \"eu-west-1\"", "unknown tenant <*> in <*>"),
        ("Request failed with status code 503", "Request failed with status code 503"),
        ("HTTPError: 502 Bad Gateway", "HTTPError: 502 Bad Gateway"),
        (
            "(Service: DynamoDb, Status Code: 400, Request ID: QVPR4J4KZENAXWW8OCUQ)",
            "(Service: DynamoDb, Status Code: 400, Request ID: <*>)",
        ),
        ("Runtime exited with error: exit status 2", "Runtime exited with error: exit status 2"),
        ("failed at app.py:42 using s3 and ec2", "failed at app.py:42 using s3 and ec2"),
    ],
)
def test_parameters_are_masked_and_what_tells_failures_apart_is_kept(text: str, template: str) -> None:
    assert mask(text) == template


def test_two_aws_error_codes_at_one_call_site_are_two_groups() -> None:
    def logged(code: str) -> str:
        return json.dumps({"level": "ERROR", "msg": "put failed", "err": f"{code}: request 7 rejected"})

    assert fingerprint(logged("ThrottlingException")).key != fingerprint(logged("ValidationException")).key


def test_key_value_lines_are_titled_as_people_write_them() -> None:
    line = 'time=2026-11-02T06:00:00.1Z level=ERROR msg="resize failed" key=img-8812 err="image 4096px too large"'
    assert fingerprint(line).title == "resize failed: image <*> too large"


def test_a_large_embedded_document_is_one_parameter_whatever_its_shape() -> None:
    small = json.dumps({"id": 1})
    large = json.dumps({"items": [{"sku": f"s{i}", "qty": i} for i in range(300)], "note": "x" * 5000})
    prefix = f"[ERROR]\t{TS}\t{REQUEST}\tRecord rejected by schema: "
    assert fingerprint(prefix + small).key == fingerprint(prefix + large).key
