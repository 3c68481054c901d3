"""The only place that touches moto's internals; its tests pin what it relies on, so a
moto upgrade that moves it fails loudly.

1. Functions run in this process instead of in Docker. moto invokes functions through
   the private `LambdaFunction._invoke_lambda`, for `lambda:Invoke`, SQS event-source
   mappings and Step Functions `lambda:invoke`; that one method is replaced with a call
   into the real handler at `functions/<POWERTOOLS_SERVICE_NAME>/handler.py`.
2. S3 announces a POST upload only once it is stored. moto's browser-POST handler sends
   the ObjectCreated event before it sets the object's metadata; with functions invoked
   synchronously, `recognize` would see an object without its capture metadata. Events
   raised during a POST are held and sent when the POST has finished, as S3 does.
3. A function has no Docker client. moto's `/moto-api/data.json` (how `alpr local mail`
   reads what SES sent) reads every attribute of every model and fails on a Lambda
   function's `docker_client` when there is no Docker; functions run in-process, so the
   attribute is made absent (AttributeError, which the dump skips).
4. No `s3:TestEvent` while the stack is deployed. S3 sends one to a queue when a bucket's
   notifications are set; moto hands it to the queue's function at once, before the local stack has
   put the functions' settings in the environment, so the cold start fails and the message waits
   for a next message that a queue fed only by lifecycle expirations (which moto never runs) never
   gets. In the cloud the function takes it (no `Records`, nothing counted).
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.s3 import notifications as s3_notifications
from moto.s3.responses import S3Response

from alpr.names import Env

Handler = Callable[[dict[str, Any], Any], Any]

_lock = threading.Lock()
_modules: dict[Path, ModuleType] = {}
_original_invoke: Callable[..., tuple[str, bool, str]] | None = None
_functions_dir: Path | None = None
_original_send_event: Callable[..., None] | None = None
_original_post: Callable[..., Any] | None = None
_original_send_test_event: Callable[..., None] | None = None
_held_events = threading.local()


@dataclass
class LocalContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str
    invoked_function_arn: str
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(functions_dir: Path, service: str, handler_spec: str) -> Handler:
    """Import functions/<service>/<module>.py once, under a unique module name."""
    module_name, _, attribute = handler_spec.rpartition(".")
    path = functions_dir / service / f"{module_name}.py"
    with _lock:
        module = _modules.get(path)
        if module is None:
            if not path.exists():
                raise FileNotFoundError(f"no handler for service {service!r} at {path}")
            spec = importlib.util.spec_from_file_location(f"alpr_function_{service}_{module_name}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            # Powertools reads the service name when the handler module is imported.
            previous = os.environ.get(Env.SERVICE.value)
            os.environ[Env.SERVICE.value] = service
            try:
                spec.loader.exec_module(module)
            finally:
                if previous is None:
                    os.environ.pop(Env.SERVICE.value, None)
                else:
                    os.environ[Env.SERVICE.value] = previous
            _modules[path] = module
    handler: Handler = getattr(module, attribute)
    return handler


def _is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(r.get("eventSource") == "aws:sqs" for r in records)
    )


def invoke_in_process(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """The replacement for LambdaFunction._invoke_lambda: (payload, errored, logs)."""
    assert _functions_dir is not None, "alpr.local.moto_patches.install() was not called"
    if isinstance(event, str | bytes):
        event = json.loads(event or "{}")
    service = (function.environment_vars or {}).get(Env.SERVICE.value)
    if not service:
        raise RuntimeError(f"function {function.function_name} has no {Env.SERVICE.value}")
    context = LocalContext(
        function_name=function.function_name,
        memory_limit_in_mb=int(function.memory_size),
        timeout_seconds=int(function.timeout),
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=function.function_arn,
        log_group_name=function.logs_group_name,
    )
    try:
        handler = load_handler(_functions_dir, service, str(function.handler))
        result = handler(event, context)
    except Exception as error:  # a failed invocation, reported the way Lambda reports it
        payload = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception(error),
        }
        return json.dumps(payload), True, "".join(payload["stackTrace"])
    # moto's SQS mapping hands one message per invocation and deletes it on success;
    # a reported batch item failure must keep it on the queue (then the DLQ).
    errored = _is_sqs_batch(event) and bool((result or {}).get("batchItemFailures"))
    return json.dumps(result), errored, ""


def _send_event_when_stored(*args: Any, **kwargs: Any) -> None:
    held: list[tuple[Any, Any]] | None = getattr(_held_events, "events", None)
    if held is not None:
        held.append((args, kwargs))
        return
    assert _original_send_event is not None
    _original_send_event(*args, **kwargs)


def _post_then_notify(self: S3Response, *args: Any, **kwargs: Any) -> Any:
    assert _original_post is not None and _original_send_event is not None
    _held_events.events = []
    try:
        result = _original_post(self, *args, **kwargs)
    finally:
        held, _held_events.events = _held_events.events, None
    for event_args, event_kwargs in held:
        _original_send_event(*event_args, **event_kwargs)
    return result


def _no_docker_client(self: LambdaFunction) -> Any:
    raise AttributeError("docker_client: functions run in-process here, without Docker")


def _no_test_event(*args: Any, **kwargs: Any) -> None:
    return None


def install(functions_dir: Path) -> None:
    """Patch moto: functions run their real handlers in this process; POST uploads notify once stored."""
    global _original_invoke, _functions_dir, _original_send_event, _original_post, _original_send_test_event
    _functions_dir = functions_dir
    if _original_invoke is None:
        _original_invoke = LambdaFunction._invoke_lambda
        _original_send_event = s3_notifications.send_event
        _original_post = S3Response._bucket_response_post
        _original_send_test_event = s3_notifications.send_test_event
        s3_notifications.send_test_event = _no_test_event

        def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            return invoke_in_process(self, event)

        LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
        s3_notifications.send_event = _send_event_when_stored
        S3Response._bucket_response_post = _post_then_notify  # type: ignore[method-assign]
        LambdaFunction.docker_client = property(_no_docker_client)  # type: ignore[assignment,method-assign]


def uninstall() -> None:
    global _original_invoke, _original_send_event, _original_post, _original_send_test_event
    if _original_invoke is not None:
        s3_notifications.send_test_event = _original_send_test_event  # type: ignore[assignment]
        _original_send_test_event = None
        LambdaFunction._invoke_lambda = _original_invoke  # type: ignore[method-assign]
        s3_notifications.send_event = _original_send_event  # type: ignore[assignment]
        S3Response._bucket_response_post = _original_post  # type: ignore[method-assign,assignment]
        del LambdaFunction.docker_client  # the base class's property again
        _original_invoke = _original_send_event = _original_post = None
