"""The two layers of the zip functions: the `alpr` package and the models."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.build_assets import Assets
from infra.naming import fix_logical_id

RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.X86_64


class Layers(Construct):
    """`alpr` (package + light dependencies, /opt/python) and `models` (/opt/models)."""

    def __init__(self, scope: Construct, construct_id: str, *, assets: Assets) -> None:
        super().__init__(scope, construct_id)
        self.alpr = lambda_.LayerVersion(
            self,
            "AlprLayer",
            code=lambda_.Code.from_asset(str(assets.alpr_layer)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="The alpr package with pydantic, Powertools, the X-Ray SDK and python-ulid",
        )
        fix_logical_id(self.alpr, "AlprLayer")
        self.models = lambda_.LayerVersion(
            self,
            "ModelsLayer",
            code=lambda_.Code.from_asset(str(assets.models_layer)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="ONNX models and their manifests (layers/models)",
        )
        fix_logical_id(self.models, "ModelsLayer")
