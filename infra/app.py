"""The CDK app: `make synth` runs this file and writes cdk.out/ offline.

    .venv/bin/python infra/app.py                       # retention 365 days
    .venv/bin/npx cdk synth -c retention_days=730       # through the CDK CLI (cdk.json)

It assembles the assets under build/ first (infra/build_assets.py), then synthesizes
with cdk-nag's AwsSolutions checks; any unacknowledged finding fails the synth.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `infra` importable
    sys.path.insert(0, str(ROOT))
# The build machines run Node 20; jsii's end-of-life banner would drown the synth output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from alpr.domain.retention import MIN_RETENTION_DAYS  # noqa: E402
from infra.build_assets import AssetError, Assets, build  # noqa: E402
from infra.stack import AlprStack  # noqa: E402

RETENTION_CONTEXT = "retention_days"

# Feature flags the stack relies on. cdk.json only reaches the app through the CDK CLI,
# so they are set here too, where `python infra/app.py` sees them.
FEATURE_FLAGS = {
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/aws-lambda:recognizeLayerVersion": True,
    "@aws-cdk/core:enablePartitionLiterals": True,
}


def make_app(
    assets: Assets, *, context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, AlprStack]:
    """The app with its one stack and the nag checks registered; nothing synthesized yet.

    `context` adds to what the CDK CLI passes (`-c retention_days=730`, cdk.json).
    """
    app = App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    retention_days = int(app.node.try_get_context(RETENTION_CONTEXT) or MIN_RETENTION_DAYS)
    stack = AlprStack(app, assets=assets, retention_days=retention_days)
    # Acknowledgments also go into the template's Metadata: the audit trail travels with it.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
    return app, stack


def main() -> int:
    try:
        assets = build()
    except AssetError as error:
        print(f"synth: {error}", file=sys.stderr)
        return 1
    if "CDK_OUTDIR" in os.environ:  # run by the CDK CLI, which owns its output folder
        app, _ = make_app(assets)
    else:
        outdir = ROOT / "cdk.out"
        shutil.rmtree(outdir, ignore_errors=True)  # no stale assets from earlier synths
        app, _ = make_app(assets, outdir=str(outdir))
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
