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

from infra.build_assets import PROVIDED_BY_RUNTIME, Assets, _closure

# Handler modules read settings at import; these stand in for the template's references.
ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "ALPR_READS_TABLE": "reads",
    "ALPR_PLATES_TABLE": "plates",
    "ALPR_UPLOADS_BUCKET": "uploads",
    "ALPR_QUARANTINE_BUCKET": "quarantine",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "test",
}


def _link_distributions(dists: Iterable[metadata.Distribution], site: Path) -> None:
    """A site folder holding symlinks to the top-level modules of `dists`."""
    site.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        root = Path(str(dist.locate_file("")))
        for top in {Path(f).parts[0] for f in dist.files or () if not Path(f).parts[0].startswith("..")}:
            link = site / top
            if not link.exists() and (root / top).exists():
                link.symlink_to(root / top)


def _import_in_isolation(paths: list[Path], statements: str) -> subprocess.CompletedProcess[str]:
    code = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}\n{statements}"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], env=ENV, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def runtime_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 and what it needs: the part of the Lambda runtime our packages rely on."""
    site = tmp_path_factory.mktemp("runtime")
    _link_distributions((metadata.distribution(name) for name in PROVIDED_BY_RUNTIME), site)
    return site


@pytest.mark.parametrize("function", ["api", "uploads"])
def test_zip_function_imports_from_its_code_and_the_alpr_layer(
    function: str, assets: Assets, runtime_site: Path
) -> None:
    paths = [assets.function_code(function), assets.alpr_layer / "python", runtime_site]
    result = _import_in_isolation(paths, "import handler\nassert callable(handler.lambda_handler)")
    assert result.returncode == 0, result.stderr[-3000:]


def test_recognize_imports_from_its_image(assets: Assets, runtime_site: Path, tmp_path: Path) -> None:
    # Given the image's packages: the closure of its requirements.txt
    context = assets.recognize_image
    requirements = [line.split("==")[0] for line in (context / "requirements.txt").read_text().split()]
    image_site = tmp_path / "image-site"
    _link_distributions(_closure(requirements), image_site)
    # When the handler and the recognition engine (imported lazily at the first image) load
    result = _import_in_isolation(
        [context, image_site, runtime_site],
        "import handler\nassert callable(handler.lambda_handler)\nimport alpr.recognition, cv2, onnxruntime",
    )
    # Then nothing is missing
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_isolation_is_real_a_missing_layer_fails(assets: Assets, runtime_site: Path) -> None:
    result = _import_in_isolation([assets.function_code("api"), runtime_site], "import handler")
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr
