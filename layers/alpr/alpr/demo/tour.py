"""`make demo`: a guided, non-interactive tour of everything that works, on a fresh local stack.

Each capability adds its step here, so the demo always shows the whole system.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from alpr.cli.options import reads_table
from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.demo.access import DEMO_PURPOSE, show_access
from alpr.demo.audit import show_audit
from alpr.demo.hotlist import show_hotlists
from alpr.demo.oversight import show_account_approval, show_correction
from alpr.demo.release import show_release
from alpr.demo.saved_state import show_saved_state
from alpr.demo.search import show_searches
from alpr.demo.tampering import show_tampered_upload
from alpr.local.stack import LocalStack

# Rendered plates the demo's unit uploads: (plate, state, minutes ago, lat, lon).
DEMO_SIGHTINGS = [
    ("7ABC123", "CA", 95, 38.01940, -122.13410),
    ("8XYZ456", "CA", 80, 38.01795, -122.13330),
    ("7ABC123", "CA", 30, 38.00590, -122.11820),
    ("5KLM902", "CA", 10, 37.99880, -122.12960),
]


def step(console: Console, title: str) -> None:
    console.rule(f"[bold]{title}")


def run_demo(console: Console) -> None:
    from alpr.demo.synth import render_scene

    # The tour prints what a user sees; the functions' own JSON logs stay for warnings and errors.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # CloudWatch EMF lines, not for people
    started = time.monotonic()
    step(console, "Start the embedded AWS and deploy the synthesized stack into it")
    with (
        tempfile.TemporaryDirectory(prefix="alpr-demo-state-") as data_dir,
        LocalStack(data_dir=Path(data_dir)) as stack,
    ):
        console.print(f"API {stack.api_url} · moto {stack.endpoint_url}")
        skipped = stack.deployment.skipped if stack.deployment else {}
        console.print(
            f"{len(stack.deployment.functions) if stack.deployment else 0} functions registered, "
            f"{len(skipped)} template resources with no local behaviour"
        )
        anonymous = AlprClient(stack.api_url)
        console.print(f"GET /health → {anonymous.health()}")
        policy = anonymous.call("GET", "/v1/policy")
        console.print(
            f"GET /v1/policy (public, no token) → the usage and privacy policy in {len(policy['sections'])} "
            f"sections: {', '.join(s['title'] for s in policy['sections'])}"
        )

        step(console, "A vehicle unit uploads rendered plate images through presigned POSTs")
        unit = AlprClient(stack.api_url, stack.token("unit-01"))
        now = datetime.now(UTC)
        for index, (plate, state, minutes_ago, lat, lon) in enumerate(DEMO_SIGHTINGS):
            image, _box = render_scene(plate, state, seed=index)
            capture = UnitCapture(
                captured_at=now - timedelta(minutes=minutes_ago), lat=lat, lon=lon, heading=90.0
            )
            key = unit.upload(image, capture)
            console.print(f"uploaded {plate} ({len(image) // 1024} KiB) → s3://…/{key}")

        step(console, "Recognition ran on each upload (S3 → SQS → recognize, ONNX Runtime)")
        investigator = AlprClient(stack.api_url, stack.token("investigator"), purpose=DEMO_PURPOSE)
        reads = investigator.wait_for_plate("7ABC123", count=2)
        if len(reads) < 2:
            raise SystemExit(
                f"expected 2 reads of 7ABC123, found {len(reads)}: recognition did not read them"
            )
        for plate in sorted({p for p, *_ in DEMO_SIGHTINGS}):
            found = investigator.search_plate(plate)
            console.print(f"{plate}: {len(found)} read(s)")

        step(console, "An investigator searches a plate (Cognito token, by_plate index)")
        console.print(reads_table(reads, "Reads of 7ABC123"))
        try:
            anonymous.search_plate("7ABC123")
        except ApiError as error:
            console.print(f"Without a token the same search gets HTTP {error.status}: {error.body}")

        show_tampered_upload(console, stack, unit, render_scene("6TRN111", "CA", seed=9)[0])  # issue 23
        show_access(console, stack)  # issue 4: a refused search, an allowed one, their access records
        supervisor = AlprClient(stack.api_url, stack.token("supervisor"))
        show_searches(console, investigator, supervisor)  # issue 5: partial plate, canvass, one read's links
        show_release(console, stack)  # issue 7: request → commander's email → approve → bundle verified
        show_hotlists(console, stack, investigator)  # issue 6: extract, partial plate, alert, disposition
        show_account_approval(console, stack)  # issue 21: proposed by the administrator, approved by another
        show_correction(console, stack, investigator)  # issue 21: a misread corrected, shown beside the read
        figures = anonymous.call("GET", "/v1/transparency")
        outcomes = {k: v for k, v in figures["release_requests"].items() if v}
        console.print(
            f"GET /v1/transparency (public, after the tour) → {figures['reads_stored']} reads and "
            f"{figures['alerts_stored']} alerts kept, retention {figures['retention_days']} days; "
            f"other agencies' requests by outcome: {outcomes}"
        )
        show_audit(console, stack)  # the audit: named queries over today's access log (sees the tour)
        show_saved_state(console, stack)  # issue 23: what --data-dir keeps across a restart

    console.rule(f"[bold green]Demo finished in {time.monotonic() - started:.1f} s")
