"""Assemble the deployment assets under build/, locally and without Docker.

    .venv/bin/python infra/build_assets.py

writes:
- build/layers/alpr/python/   the `alpr` package and its light pure-Python runtime
                              dependencies, copied out of the virtual environment;
                              Lambda puts python/ on sys.path (/opt/python)
- build/layers/models/models/ a copy of layers/models/ (Lambda unpacks it at /opt/models)
- build/recognize/            the Docker build context of the `recognize` image:
                              Dockerfile, requirements.txt, alpr/, models/, handler.py

Nothing is downloaded: the layer is copied from the installed distributions, and the
image is built from its context by `cdk deploy`, not by synth.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"

HANDLER = "handler.py"
MODEL_MANIFEST = "manifest.json"

# What the light functions import at run time. boto3 (and what it pulls in) is left out:
# the Lambda Python runtime provides it.
LAYER_REQUIREMENTS = (
    "pydantic",
    "pydantic-settings",
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "python-ulid",
    "jinja2",
)
PROVIDED_BY_RUNTIME = frozenset(
    canonicalize_name(name)
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
)

# The zip functions run on the python3.11 runtime (Amazon Linux 2, glibc 2.26, x86_64):
# a compiled wheel in the layer must be built for that or older.
LAYER_PYTHON = "cp311"
LAYER_GLIBC = (2, 26)

# The recognize image. Its base is the AWS Lambda Python image, but 3.12 (Amazon Linux
# 2023, glibc 2.34): the 3.11 image is Amazon Linux 2 (glibc 2.26), and the onnxruntime,
# numpy and opencv wheels this project is tested with need glibc 2.27/2.28.
RECOGNIZE_BASE_IMAGE = "public.ecr.aws/lambda/python:3.12"
RECOGNIZE_REQUIREMENTS = (
    "numpy",
    "opencv-python-headless",
    "onnxruntime",
    "pydantic",
    "pydantic-settings",
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "python-ulid",
)

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", "*.egg-info")
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class AssetError(RuntimeError):
    """An asset cannot be assembled; the message says what is missing and where."""


@dataclass(frozen=True)
class Assets:
    """Where each deployable piece is, for the CDK app."""

    root: Path
    alpr_layer: Path
    models_layer: Path
    recognize_image: Path

    def function_code(self, name: str) -> Path:
        """The folder deployed as the zip of function `name` (functions/<name>/)."""
        return self.root / "functions" / name


def build(root: Path = ROOT, out: Path = BUILD) -> Assets:
    """Assemble every asset folder under `out` from the sources under `root`."""
    from alpr.names import Function

    for name in Function:
        handler = root / "functions" / name / HANDLER
        if not handler.is_file():
            raise AssetError(f"{handler} is missing: each function needs functions/<name>/{HANDLER}")
    package = root / "layers" / "alpr" / "alpr"
    models = root / "layers" / "models"
    for folder in (package, models):
        if not folder.is_dir():
            raise AssetError(f"{folder} is missing")
    if not list(models.glob(f"*/{MODEL_MANIFEST}")):
        raise AssetError(f"{models} holds no model: each model is a folder with its {MODEL_MANIFEST}")

    assets = Assets(
        root=root,
        alpr_layer=out / "layers" / "alpr",
        models_layer=out / "layers" / "models",
        recognize_image=out / "recognize",
    )
    _fresh(assets.alpr_layer)
    _copy_tree(package, assets.alpr_layer / "python" / "alpr")
    for dist in _closure(LAYER_REQUIREMENTS):
        _check_layer_compatible(dist)
        _copy_distribution(dist, assets.alpr_layer / "python")

    _fresh(assets.models_layer)
    _copy_tree(models, assets.models_layer / "models")

    _fresh(assets.recognize_image)
    context = assets.recognize_image
    _copy_tree(package, context / "alpr")
    _copy_tree(models, context / "models")
    shutil.copy2(root / "functions" / "recognize" / HANDLER, context / HANDLER)
    # Every distribution the image needs, pinned as installed (from requirements.lock): the image
    # resolves nothing of its own.
    pins = sorted(
        {f"{canonicalize_name(d.metadata['Name'])}=={d.version}" for d in _closure(RECOGNIZE_REQUIREMENTS)}
    )
    (context / "requirements.txt").write_text("".join(f"{pin}\n" for pin in pins))
    (context / "Dockerfile").write_text(_dockerfile())
    return assets


def _dockerfile() -> str:
    from alpr.names import MODELS_LAYER_DIR

    return (
        f"FROM {RECOGNIZE_BASE_IMAGE}\n"
        "COPY requirements.txt ${LAMBDA_TASK_ROOT}/\n"
        "RUN pip install --no-cache-dir -r ${LAMBDA_TASK_ROOT}/requirements.txt\n"
        # Same place as the models layer, so ALPR_MODELS_DIR means one thing everywhere.
        f"COPY models/ {MODELS_LAYER_DIR}/\n"
        "COPY alpr/ ${LAMBDA_TASK_ROOT}/alpr/\n"
        f"COPY {HANDLER} ${{LAMBDA_TASK_ROOT}}/\n"
        'CMD ["handler.lambda_handler"]\n'
    )


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=_IGNORED, dirs_exist_ok=True)


def _closure(requirements: Iterable[str]) -> Iterator[metadata.Distribution]:
    """The installed distributions named by `requirements` and everything they need."""
    pending = [Requirement(text) for text in requirements]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or name in PROVIDED_BY_RUNTIME:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError as error:
            raise AssetError(f"{requirement.name} is not installed in {sys.prefix}") from error
        yield dist
        for text in dist.requires or ():
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                pending.append(needed)


def _check_layer_compatible(dist: metadata.Distribution) -> None:
    """Refuse a compiled wheel that would not load on the python3.11 Lambda runtime."""
    wheel = dist.read_text("WHEEL") or ""
    if re.search(r"^Root-Is-Purelib:\s*true", wheel, re.MULTILINE | re.IGNORECASE):
        return
    tags = re.findall(r"^Tag:\s*(\S+)", wheel, re.MULTILINE)
    if any(_loads_on_lambda(tag) for tag in tags):
        return
    raise AssetError(
        f"{dist.metadata['Name']} {dist.version} is built for {', '.join(tags) or 'an unknown platform'}; "
        f"the layer needs {LAYER_PYTHON} manylinux x86_64 with glibc <= {'.'.join(map(str, LAYER_GLIBC))}"
    )


def _loads_on_lambda(tag: str) -> bool:
    python, abi, platform = tag.split("-")
    if python not in (LAYER_PYTHON, "py3") and not (abi == "abi3" and python.startswith("cp3")):
        return False
    if platform == "any":
        return True
    legacy = re.fullmatch(r"(manylinux\d+)_x86_64", platform)
    if legacy and legacy.group(1) in _LEGACY_MANYLINUX:
        return _LEGACY_MANYLINUX[legacy.group(1)] <= LAYER_GLIBC
    modern = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    if modern is None:
        return False
    return (int(modern.group(1)), int(modern.group(2))) <= LAYER_GLIBC


def _copy_distribution(dist: metadata.Distribution, target: Path) -> None:
    """Copy an installed distribution's files (code and .dist-info) into `target`."""
    site = Path(str(dist.locate_file("")))
    for entry in dist.files or ():
        parts = Path(entry).parts
        # Scripts land outside site-packages (../../bin); byte code is rebuilt by Lambda.
        if parts[0] == ".." or "__pycache__" in parts or entry.suffix == ".pyc":
            continue
        source = site / entry
        if source.is_file():
            destination = target / entry
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def main() -> int:
    try:
        assets = build()
    except AssetError as error:
        print(f"build_assets: {error}", file=sys.stderr)
        return 1
    for label, path in (
        ("alpr layer", assets.alpr_layer),
        ("models layer", assets.models_layer),
        ("recognize image context", assets.recognize_image),
    ):
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        print(f"{label:24} {path.relative_to(ROOT)}  {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
