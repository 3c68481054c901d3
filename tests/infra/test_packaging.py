"""What a function imports is in what we deploy: the handlers import cleanly from the assets alone.

Each handler is imported in a fresh interpreter without site-packages (`python -I -S`), with
only what Lambda would give it on sys.path: the function's folder, the layer (zip functions)
or the image's packages (recognize), and boto3 with its dependencies (the runtime's own).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest

from alpr.names import Env
from infra.build_assets import PROVIDED_BY_RUNTIME, Assets, _closure
from tests.infra.conftest import Synth

BASE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "test",
}


def function_env(synth: Synth, function: str) -> dict[str, str]:
    """The environment the template gives `function`, its references standing as placeholders: a
    handler checks its config at import, so this proves the CDK grants what the handler needs."""
    for resource in synth.of_type("AWS::Lambda::Function").values():
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        if variables.get(Env.SERVICE.value) == function:
            return {
                **BASE_ENV,
                **{k: v if isinstance(v, str) else f"resolved-{k.lower()}" for k, v in variables.items()},
            }
    raise AssertionError(f"no function {function} in the template")


def _link_distributions(dists: Iterable[metadata.Distribution], site: Path) -> None:
    """A site folder holding symlinks to the top-level modules of `dists`."""
    site.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        root = Path(str(dist.locate_file("")))
        for top in {Path(f).parts[0] for f in dist.files or () if not Path(f).parts[0].startswith("..")}:
            link = site / top
            if not link.exists() and (root / top).exists():
                link.symlink_to(root / top)


def _import_in_isolation(
    paths: list[Path], statements: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    code = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}\n{statements}"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def runtime_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 and what it needs: the part of the Lambda runtime our packages rely on."""
    site = tmp_path_factory.mktemp("runtime")
    _link_distributions((metadata.distribution(name) for name in PROVIDED_BY_RUNTIME), site)
    return site


@pytest.mark.parametrize(
    "function", ["api", "uploads", "hotlist_import", "release_record", "release_notify", "release_fulfil"]
)
def test_zip_function_imports_from_its_code_and_the_alpr_layer(
    function: str, assets: Assets, synth: Synth, runtime_site: Path
) -> None:
    paths = [assets.function_code(function), assets.alpr_layer / "python", runtime_site]
    result = _import_in_isolation(
        paths, "import handler\nassert callable(handler.lambda_handler)", function_env(synth, function)
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_recognize_imports_from_its_image(
    assets: Assets, synth: Synth, runtime_site: Path, tmp_path: Path
) -> None:
    # Given the image's packages: the closure of its requirements.txt
    context = assets.recognize_image
    requirements = [line.split("==")[0] for line in (context / "requirements.txt").read_text().split()]
    image_site = tmp_path / "image-site"
    _link_distributions(_closure(requirements), image_site)
    # When the handler and the recognition engine (imported lazily at the first image) load
    result = _import_in_isolation(
        [context, image_site, runtime_site],
        "import handler\nassert callable(handler.lambda_handler)\nimport alpr.recognition, cv2, onnxruntime",
        function_env(synth, "recognize"),
    )
    # Then nothing is missing
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_isolation_is_real_a_missing_layer_fails(
    assets: Assets, synth: Synth, runtime_site: Path
) -> None:
    result = _import_in_isolation(
        [assets.function_code("api"), runtime_site], "import handler", function_env(synth, "api")
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_a_function_without_a_grant_fails_its_cold_start_naming_it(
    assets: Assets, synth: Synth, runtime_site: Path
) -> None:
    # Given the api's environment less one table it must have been granted
    env = function_env(synth, "api")
    del env[Env.ALERTS_TABLE.value]
    # When its handler is imported (the cold start)
    paths = [assets.function_code("api"), assets.alpr_layer / "python", runtime_site]
    result = _import_in_isolation(paths, "import handler", env)
    # Then it fails there, naming the missing setting
    assert result.returncode != 0
    assert "alerts_table" in result.stderr and "Field required" in result.stderr
