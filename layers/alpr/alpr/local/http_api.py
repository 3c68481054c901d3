"""A small HTTP front door that plays API Gateway for the local stack.

Routes, methods, authorizers and target functions are read from the template's
`AWS::ApiGateway::*` resources; a request becomes a REST API proxy event, Cognito
tokens are verified against the local pool's JWKS the way the Cognito authorizer
does, and the function is invoked through moto's Lambda API (so it runs the patched,
in-process handler).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import jwt
import requests

from alpr.local.loopback import LoopbackServer
from alpr.local.template import Template, references

TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml")


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, … or ANY
    path: str  # e.g. /v1/{proxy+}
    function: str  # local function name
    cognito_pools: tuple[str, ...]  # user pool ids whose tokens are accepted; empty = no authorizer

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        wanted = self.segments
        given = [s for s in path.split("/") if s]
        parameters: dict[str, str] = {}
        for index, segment in enumerate(wanted):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = given[index:]
                if not rest:
                    return None
                parameters[segment[1:-2]] = "/".join(rest)
                return parameters
            if index >= len(given):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                parameters[segment[1:-1]] = given[index]
            elif segment != given[index]:
                return None
        return parameters if len(given) == len(wanted) else None

    @property
    def specificity(self) -> tuple[int, int, int]:
        greedy = any(s.endswith("+}") for s in self.segments)
        literals = sum(not s.startswith("{") for s in self.segments)
        return (0 if greedy else 1, literals, 0 if self.method == "ANY" else 1)


def routes_from_template(template: Template, refs: dict[str, Any], functions: dict[str, str]) -> list[Route]:
    """Every API Gateway method of the template as a route to a local function."""
    resources = template.of_type("AWS::ApiGateway::Resource")

    def path_of(node: Any) -> str:
        # A method or resource points at its parent by Ref (a Resource) or at the API's root.
        target = next(iter(references(node)), None)
        if target in resources:
            parent = resources[target]["Properties"]
            return path_of(parent["ParentId"]).rstrip("/") + "/" + parent["PathPart"]
        return "/"

    authorizers = {
        lid: tuple(
            str(refs.get(next(iter(references(arn)), ""), ""))
            for arn in res["Properties"].get("ProviderARNs", [])
        )
        for lid, res in template.of_type("AWS::ApiGateway::Authorizer").items()
    }
    routes = []
    for method in template.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        targets = references(props.get("Integration", {}).get("Uri", {})) & functions.keys()
        if not targets:
            continue
        authorizer = next(iter(references(props.get("AuthorizerId", {}))), "")
        pools = (
            authorizers.get(authorizer, ()) if props.get("AuthorizationType") == "COGNITO_USER_POOLS" else ()
        )
        routes.append(
            Route(
                method=props["HttpMethod"],
                path=path_of(props["ResourceId"]),
                function=functions[targets.pop()],
                cognito_pools=pools,
            )
        )
    return sorted(routes, key=lambda r: r.specificity, reverse=True)


class TokenVerifier:
    """Checks a Cognito ID token as the REST API's Cognito authorizer would."""

    def __init__(self, endpoint_url: str, region: str, client_ids: set[str]) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.client_ids = client_ids
        self._keys: dict[str, jwt.PyJWKSet] = {}

    def _jwks(self, pool_id: str) -> jwt.PyJWKSet:
        if pool_id not in self._keys:
            url = f"{self.endpoint_url}/{pool_id}/.well-known/jwks.json"
            self._keys[pool_id] = jwt.PyJWKSet.from_dict(requests.get(url, timeout=10).json())
        return self._keys[pool_id]

    def claims(self, token: str, pools: tuple[str, ...]) -> dict[str, Any] | None:
        """The token's claims when it is valid for one of the pools, else None."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        issuer = str(unverified.get("iss", ""))
        pool_id = issuer.rsplit("/", 1)[-1]
        if pool_id not in pools or issuer != f"https://cognito-idp.{self.region}.amazonaws.com/{pool_id}":
            return None
        try:
            key = next(k for k in self._jwks(pool_id).keys if k.key_id == header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=issuer,
                audience=list(self.client_ids),
                options={"require": ["exp", "iat", "token_use"]},
            )
        except (StopIteration, jwt.PyJWTError):
            return None
        return claims if claims.get("token_use") == "id" else None


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway hands claims to the function as strings; lists become comma-separated."""
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in claims.items()}


def access_line(line_format: str, context: dict[str, str]) -> str:
    """An access-log line: each `$context.<name>` replaced; names with no local value become '-'."""
    return re.sub(r"\$context\.([A-Za-z.]+)", lambda m: context.get(m.group(1), "-"), line_format)


class StageAccessLog:
    """The stage's access log: one line per request in the template's format, refusals by the
    authorizer included (they never reach a function), into the template's log group."""

    def __init__(self, log_group: str, line_format: str, endpoint_url: str, region: str) -> None:
        self.log_group = log_group
        self.line_format = line_format
        self.logs = boto3.client("logs", endpoint_url=endpoint_url, region_name=region)
        self.stream = f"local-{uuid.uuid4().hex[:8]}"
        self.logs.create_log_stream(logGroupName=log_group, logStreamName=self.stream)
        self._lock = threading.Lock()

    def write(self, context: dict[str, str]) -> None:
        with self._lock:
            self.logs.put_log_events(
                logGroupName=self.log_group,
                logStreamName=self.stream,
                logEvents=[
                    {"timestamp": int(time.time() * 1000), "message": access_line(self.line_format, context)}
                ],
            )


def stage_access_log_setting(template: Template) -> tuple[str, str] | None:
    """(log group logical id, line format) of the API stage's access logging, if it has one."""
    for stage in template.of_type("AWS::ApiGateway::Stage").values():
        setting = stage["Properties"].get("AccessLogSetting")
        if setting:
            group = next(iter(references(setting["DestinationArn"])))
            return group, str(setting["Format"])
    return None


class LocalApi(LoopbackServer):
    """Serves the API on 127.0.0.1:port until stop()."""

    def __init__(
        self,
        routes: list[Route],
        verifier: TokenVerifier,
        endpoint_url: str,
        region: str,
        port: int,
        access_log: StageAccessLog | None = None,
        documents: Mapping[str, bytes] | None = None,
    ) -> None:
        self.routes = routes
        # Served as they are at their path (GET), before any route: the OpenAPI document.
        self.documents = dict(documents or {})
        self.verifier = verifier
        self.access_log = access_log
        self.lambda_client = boto3.client("lambda", endpoint_url=endpoint_url, region_name=region)
        self._serve(port, self._handler_class())

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request as API Gateway would, and write its line to the stage's access log."""
        request_id = str(uuid.uuid4())
        path = urlsplit(raw_path).path
        route, parameters = next(
            ((r, found) for r in self.routes if (found := r.match(method, path)) is not None), (None, None)
        )
        status, out_headers, data = self._answer(
            route, parameters, method, raw_path, headers, body, source_ip, request_id
        )
        if self.access_log is not None:
            self.access_log.write(
                {
                    "requestId": request_id,
                    "identity.sourceIp": source_ip,
                    "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                    "httpMethod": method,
                    "resourcePath": route.path if route else path,
                    "status": str(status),
                    "protocol": "HTTP/1.1",
                    "responseLength": str(len(data)),
                }
            )
        return status, out_headers, data

    def _answer(
        self,
        route: Route | None,
        parameters: dict[str, str] | None,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
        request_id: str,
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        if method in ("GET", "HEAD") and split.path in self.documents:
            kind = "application/json" if split.path.endswith(".json") else "text/html; charset=utf-8"
            return 200, {"Content-Type": kind}, self.documents[split.path]
        if route is None or parameters is None:
            return _json(
                404 if method in ("GET", "HEAD") else 403, {"message": "Missing Authentication Token"}
            )
        claims: dict[str, Any] | None = None
        if route.cognito_pools:
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            claims = self.verifier.claims(token, route.cognito_pools) if token else None
            if claims is None:
                return _json(401, {"message": "Unauthorized"})
        event = proxy_event(
            route, method, split.path, split.query, headers, body, parameters, claims, source_ip, request_id
        )
        response = self.lambda_client.invoke(FunctionName=route.function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError") or not isinstance(payload, dict) or "statusCode" not in payload:
            return _json(502, {"message": "Internal server error"})
        out_headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
        for key, values in (payload.get("multiValueHeaders") or {}).items():
            # Set-Cookie may not be folded into one line: one header per cookie (split when sent).
            out_headers[key] = ("\n" if key.lower() == "set-cookie" else ", ").join(map(str, values))
        raw = payload.get("body") or ""
        data = base64.b64decode(raw) if payload.get("isBase64Encoded") else str(raw).encode()
        return int(payload["statusCode"]), out_headers, data

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, out_headers, data = api.handle(
                    self.command, self.path, headers, body, self.client_address[0]
                )
                self.send_response(status)
                for key, value in out_headers.items():
                    if key.lower() != "content-length":
                        for line in value.split("\n") if key.lower() == "set-cookie" else [value]:
                            self.send_header(key, line)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

            def __getattr__(self, name: str) -> Any:
                # Any other method (TRACE, CONNECT, WebDAV's …): 405 in JSON as API Gateway answers,
                # not the standard library's 501 HTML page.
                if name.startswith("do_"):
                    return self._refuse_method
                raise AttributeError(name)

            def _refuse_method(self) -> None:
                self.close_connection = True  # its body, if any, is never read
                status, out_headers, data = _json(405, {"message": "Method Not Allowed"})
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the handlers log
                pass

        return Handler


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _is_utf8(body: bytes) -> bool:
    # A "text" body that is not UTF-8 travels base64-encoded, as API Gateway passes binary bodies:
    # the API then refuses it instead of this server failing to decode it.
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def proxy_event(
    route: Route,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    claims: dict[str, Any] | None,
    source_ip: str,
    request_id: str,
) -> dict[str, Any]:
    """The REST API (v1) proxy integration event for one request."""
    multi_query = parse_qs(query, keep_blank_values=True)
    content_type = headers.get("content-type", "")
    is_text = not body or (content_type.startswith(TEXT_TYPES) and _is_utf8(body))
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
            "authorizer": {"claims": flatten_claims(claims)} if claims else None,
            "accountId": "123456789012",
            "apiId": "local",
        },
        "body": (body.decode() if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": not is_text,
    }
