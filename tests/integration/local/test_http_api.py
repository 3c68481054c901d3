"""The local API server over a real socket: what API Gateway answers, it answers (issue 19 item 10)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from alpr.local.http_api import LocalApi, TokenVerifier
from alpr.local.stack import free_port


@pytest.fixture
def api() -> Iterator[LocalApi]:
    # No routes and no AWS behind it: the methods are refused before any route is looked up.
    server = LocalApi(
        [],
        TokenVerifier("http://127.0.0.1:1", "us-east-1", set()),
        "http://127.0.0.1:1",
        "us-east-1",
        free_port(),
    )
    server.start()
    yield server
    server.stop()


@pytest.mark.timeout(10)
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_an_unknown_method_is_405_in_json_not_the_stdlib_html_page(api: LocalApi, method: str) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request(method, "/v1/reads")
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 405
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body) == {"message": "Method Not Allowed"}
