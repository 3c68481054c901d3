"""A seeded fault injector for boto3: a share of the HTTP attempts to S3, DynamoDB, SNS and SQS fail.

It hooks the botocore event system of the sessions it is attached to (every client created from
them afterwards), so the code under test keeps its own clients, retries and error handling. Each
attempt (not each call: the SDK's retries see the faults and retry them, as they do in AWS) fails
with probability `rate`, as one of four kinds:

- `throttle`: the service's throttling error (DynamoDB `ProvisionedThroughputExceededException`,
  S3 `SlowDown`, SNS `Throttling`, SQS `RequestThrottled`); the request never reached the service.
- `5xx`: a 500 `InternalError` (DynamoDB `InternalServerError`); nothing was done.
- `timeout`: the connection timed out; nothing was done.
- `lost-response`: the service did the work, then the response was lost (a read timeout). The
  SDK sends the request again: this is what makes a conditional write fail on its own retry, a
  publish go out twice or a received message stay in flight unseen.

Works with moto in process (`mock_aws`, whose stub answers in `before-send` too) and over HTTP
(a moto server, or AWS itself). Used by bench/faults.py and the tests; nothing in production
attaches it.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Final

import botocore.endpoint
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

FAULTED_SERVICES: Final = ("s3", "dynamodb", "sns", "sqs")
_UNMATCHED_URL: Final = "http://fault-injected.invalid/"  # no stub answers it; nothing is sent


class FaultKind(StrEnum):
    THROTTLE = "throttle"
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    LOST_RESPONSE = "lost-response"


# (status, error code) per service, in the shape its protocol answers with.
_THROTTLE: Final = {
    "dynamodb": (400, "ProvisionedThroughputExceededException"),
    "s3": (503, "SlowDown"),
    "sns": (400, "Throttling"),
    "sqs": (400, "RequestThrottled"),
}
_SERVER_ERROR: Final = {
    "dynamodb": (500, "InternalServerError"),
    "s3": (500, "InternalError"),
    "sns": (500, "InternalError"),
    "sqs": (500, "InternalError"),
}


class _Body:
    """The raw body AWSResponse reads (`stream()` and `read()`)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any, **__: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def error_response(service: str, url: str, status: int, code: str) -> AWSResponse:
    """An error answer as `service`'s protocol writes it, so botocore parses the right code."""
    message = "injected fault"
    if service in ("dynamodb", "sqs"):  # JSON protocols
        body = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};Sender"}
    elif service == "sns":  # query protocol
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    else:  # S3: rest-xml
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    return AWSResponse(url, status, headers, _Body(body))  # type: ignore[arg-type]


class FaultInjector:
    """Fails `rate` of the attempts to `services`, drawn from `random.Random(seed)` in call order.

    `backoff_scale` multiplies the SDK's retry waits while attached (1.0: as configured; a bench
    uses a small value so its time goes to the work, not to sleeping)."""

    def __init__(
        self,
        rate: float = 0.2,
        *,
        seed: int = 0,
        services: tuple[str, ...] = FAULTED_SERVICES,
        kinds: tuple[FaultKind, ...] = tuple(FaultKind),
        backoff_scale: float = 1.0,
    ) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be within [0, 1], not {rate}")
        self.rate = rate
        self.services = services
        self.kinds = kinds
        self.backoff_scale = backoff_scale
        self.injected: Counter[tuple[str, FaultKind]] = Counter()  # (service, kind) -> attempts failed
        self.attempts: Counter[str] = Counter()  # service -> attempts seen
        self.sequence: list[tuple[str, str, FaultKind | None]] = []  # (service, operation, fault)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._lost: set[int] = set()  # ids of requests whose response is to be lost
        self._http: URLLib3Session | None = None
        self._attached: list[Any] = []
        self.active = True

    # What was injected

    def counts(self) -> dict[str, dict[str, int]]:
        """{service: {kind: attempts failed}} for every service with a fault."""
        found: dict[str, dict[str, int]] = {}
        for (service, kind), count in sorted(self.injected.items()):
            found.setdefault(service, {})[kind.value] = count
        return found

    def total(self) -> int:
        return sum(self.injected.values())

    # Attaching

    def attach(self, events: Any) -> None:
        """Hook an event system: `boto3.Session().events`, or a client's `meta.events` (clients
        copy their session's handlers when created, so attach a session before it makes clients)."""
        self.active = True
        events.register_first("before-send", self._before_send, unique_id=f"faults-first-{id(self)}")
        events.register_last("before-send", self._after_send, unique_id=f"faults-last-{id(self)}")
        self._attached.append(events)

    def detach(self) -> None:
        """Stop injecting (clients made while attached keep the hooks, which then pass everything)."""
        self.active = False
        for events in self._attached:
            events.unregister("before-send", self._before_send, unique_id=f"faults-first-{id(self)}")
            events.unregister("before-send", self._after_send, unique_id=f"faults-last-{id(self)}")
        self._attached.clear()

    @contextmanager
    def scaled_backoff(self) -> Iterator[None]:
        """Scale botocore's retry sleeps by `backoff_scale` within the block."""
        module = vars(botocore.endpoint)  # botocore sleeps through its module's `time`
        original = module["time"]
        scale = self.backoff_scale

        class _Time:
            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

            @staticmethod
            def sleep(seconds: float) -> None:
                time.sleep(seconds * scale)

        module["time"] = _Time()
        try:
            yield
        finally:
            module["time"] = original

    # The hooks

    def _draw(self, service: str, operation: str) -> FaultKind | None:
        with self._lock:
            self.attempts[service] += 1
            fault = None
            if self._random.random() < self.rate:
                fault = self.kinds[self._random.randrange(len(self.kinds))]
                self.injected[(service, fault)] += 1
            self.sequence.append((service, operation, fault))
            return fault

    def _before_send(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        """First handler: fail before the service sees the request, or mark its response as lost."""
        _event, service, operation = event_name.split(".", 2)
        if not self.active or service not in self.services:
            return None
        fault = self._draw(service, operation)
        if fault is None:
            return None
        if fault is FaultKind.LOST_RESPONSE:
            self._lost.add(id(request))
            return None
        if fault is FaultKind.TIMEOUT:
            raise ConnectTimeoutError(endpoint_url=request.url)  # stops the stub as well
        status, code = (_THROTTLE if fault is FaultKind.THROTTLE else _SERVER_ERROR)[service]
        answer = error_response(service, request.url, status, code)
        request.url = _UNMATCHED_URL  # moto's in-process stub (called after us) leaves it alone
        return answer

    def _after_send(self, request: AWSPreparedRequest, **kwargs: Any) -> None:
        """Last handler: a lost response is lost after the service did the work."""
        if id(request) not in self._lost:
            return
        self._lost.discard(id(request))
        if not _answered_in_process():
            # Over HTTP nobody has sent it yet (botocore sends once every handler returned None).
            if self._http is None:
                self._http = URLLib3Session()
            _ = self._http.send(request).content  # the work is done; the answer is dropped
        raise ReadTimeoutError(endpoint_url=request.url, error="injected: response lost")


def _answered_in_process() -> bool:
    """Whether moto's in-process stub (mock_aws) answers requests, before this handler runs."""
    try:
        from moto.core.models import botocore_stubber
    except ImportError:
        return False
    return bool(botocore_stubber.enabled)
