"""One synth per session: jsii synthesis takes seconds, every assertion reads the same template."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# Synth must not need Docker (there is no engine here nor in CI): any attempt CDK makes to run
# it (bundling, image builds) fails the session instead of quietly depending on it.
os.environ["CDK_DOCKER"] = "/bin/false"

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import make_app
from infra.build_assets import Assets, build
from infra.stack import AlprStack


@dataclass
class Synth:
    app: App
    stack: AlprStack
    template: Template
    outdir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        body: dict[str, dict[str, Any]] = self.template.to_json()["Resources"]
        return body

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res["Type"] == kind}

    def props(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id]["Properties"]
        return properties

    def asset_manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads(
            (self.outdir / f"{self.stack.stack_name}.assets.json").read_text()
        )
        return manifest


@pytest.fixture(scope="session")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    return build(out=tmp_path_factory.mktemp("build"))


def _synth(assets: Assets, outdir: Path, context: dict[str, Any] | None = None) -> Synth:
    app, stack = make_app(assets, context=context, outdir=str(outdir))
    # app.synth() runs the registered cdk-nag plugin and raises on any unacknowledged finding.
    app.synth()
    return Synth(app=app, stack=stack, template=Template.from_stack(stack), outdir=outdir)


@pytest.fixture(scope="session")
def synth(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack as `make synth` builds it (default retention, 365 days)."""
    return _synth(assets, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def synth_730(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack with a department's own settings, as the CLI passes them (strings): `-c
    retention_days=730`, `-c service_area=[…]` and `-c plate_support_score=0.35`."""
    context = {"retention_days": "730", "service_area": OAKLAND_BOX, "plate_support_score": "0.35"}
    return _synth(assets, tmp_path_factory.mktemp("cdk.out-730"), context=context)


OAKLAND_BOX = "[-122.35, 37.70, -122.15, 37.88]"  # a department's jurisdiction, as `-c service_area=`


# The stack's DynamoDB tables (logical-ID prefixes), for the tests that check each one.
TABLES = (
    "ReadsTable",
    "PlatesTable",
    "PlateGramsTable",
    "HotlistTable",
    "AlertsTable",
    "PersonnelTable",
    "AccountProposalsTable",
    "ReleaseRequestsTable",
    "HoldsTable",
)


def as_list(value: Any) -> list[Any]:
    """An IAM statement's Action or Resource as a list (CloudFormation allows a single string)."""
    return value if isinstance(value, list) else [value]
