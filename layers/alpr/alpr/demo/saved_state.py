"""The demo's last step: what `alpr local up --data-dir DIR` keeps of the tour, saved through the
AWS APIs into a plain JSON snapshot and content-addressed bodies (alpr.local.snapshot)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from alpr.local.stack import LocalStack


def show_saved_state(console: Console, stack: LocalStack) -> None:
    """Save the tour's state now and show what the data directory holds."""
    console.rule("[bold]Local state on disk: what `alpr local up --data-dir DIR` restores after a restart")
    assert stack.data_dir is not None, "the tour's stack runs with a data directory"
    counts = stack.save(every_queue=True)
    snapshot = json.loads(stack.data_dir.snapshot_path.read_text())
    table = Table(title=f"{stack.data_dir.snapshot_path.name} (format {snapshot['format']})")
    table.add_column("kept")
    table.add_column("by resource (the template's logical ids)")
    table.add_column("count", justify="right")
    for kind, label in (("tables", "DynamoDB items"), ("buckets", "S3 object versions")):
        busy = {lid: len(entries) for lid, entries in snapshot[kind].items() if entries}
        table.add_row(label, ", ".join(f"{lid} {n}" for lid, n in busy.items()), str(sum(busy.values())))
    table.add_row("queued messages", "", str(counts["messages"]))
    table.add_row("users (with their groups and passwords)", "", str(counts["users"]))
    console.print(table)
    bodies = list(stack.data_dir.objects.iterdir())
    console.print(
        f"{len(bodies)} bodies in objects/<sha256> ({sum(b.stat().st_size for b in bodies) // 1024} KiB), "
        f"snapshot.json {stack.data_dir.snapshot_path.stat().st_size // 1024} KiB; written to a temporary "
        "file and renamed, so a crash keeps the last good one. A release request still waiting for a "
        "decision is asked again after a restart (its workflow execution cannot be restored)."
    )
