"""moto in a process of its own that counts every AWS request it answers, by account, service and operation.

`python -m bench.moto_counting` prints one JSON line (`{"endpoint": ...}`) once it serves, and stops when its standard
input closes. `GET /bench/calls` answers the counts since the last `POST /bench/calls/reset` as a list of
`[account, service, operation, requests]`. Counting on moto's side sees every process's calls alike (the bench
process's embedded runner, `boltwatch worker` processes), retries included, with no hook in the code measured.

The operation is read as each AWS protocol names it: the `X-Amz-Target` header (JSON), the path's `/operation/NAME`
(Smithy RPC v2 CBOR, which botocore uses for CloudWatch), the `Action` parameter (query), or for Lambda's REST API
the method and path (`GET /2015-03-31/functions/` is ListFunctions). The account is the one moto maps the request's
access key to (an assumed role's key belongs to the role's account).
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/")
LAMBDA_REST = [
    (re.compile(r"^GET /20\d\d-\d\d-\d\d/functions/?$"), "ListFunctions"),
    (re.compile(r"^POST /20\d\d-\d\d-\d\d/functions/?$"), "CreateFunction"),
    (re.compile(r"^GET /20\d\d-\d\d-\d\d/functions/[^/]+/?$"), "GetFunction"),
    (re.compile(r"^GET /20\d\d-\d\d-\d\d/functions/[^/]+/configuration/?$"), "GetFunctionConfiguration"),
    (re.compile(r"^GET /20\d\d-\d\d-\d\d/tags/.+$"), "ListTags"),
]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def operation_of(environ: Environ, service: str) -> str:
    """The AWS operation a request calls, as its protocol names it."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    path = str(environ.get("PATH_INFO", ""))
    if target:
        return str(target).rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[-1]
    action = parse_qs(str(environ.get("QUERY_STRING", ""))).get("Action")
    if action:
        return action[0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        action = parse_qs(bytes(body).decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    request = f"{environ.get('REQUEST_METHOD', '?')} {path}"
    if service == "lambda":
        for pattern, name in LAMBDA_REST:
            if pattern.match(request):
                return name
    return request


class CountingApp:
    """A WSGI middleware in front of moto's app: counts each request, and answers `/bench/calls` itself."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str, str]] = Counter()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/bench/calls":
            with self._lock:
                if environ.get("REQUEST_METHOD") == "POST":
                    self.calls.clear()
                rows = [[*key, count] for key, count in sorted(self.calls.items())]
            body = json.dumps(rows).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if found and not path.startswith("/moto-api"):
            key, _region, service = found.groups()
            from moto.iam.models import get_account_id_from

            name = operation_of(environ, service)
            with self._lock:
                self.calls[(get_account_id_from(key), service, name)] += 1
        return self._app(environ, start_response)


def serve() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = CountingApp(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    sys.stdout.write(json.dumps({"endpoint": f"http://{host!s}:{port}"}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the driver closes it
    server.shutdown()


if __name__ == "__main__":
    serve()
