"""The local, Docker-free asset build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alpr.names import Function
from infra.build_assets import ROOT, AssetError, Assets, _loads_on_lambda, build

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def test_alpr_layer_holds_the_package_and_light_dependencies_only(assets: Assets) -> None:
    python = assets.alpr_layer / "python"
    assert (python / "alpr" / "__init__.py").is_file()
    for light in ("pydantic", "pydantic_core", "aws_lambda_powertools", "ulid", "aws_xray_sdk"):
        assert (python / light).is_dir(), light
    # boto3 comes with the Lambda runtime; the heavy recognition stack lives in the image.
    for absent in ("boto3", "botocore", "numpy", "cv2", "onnxruntime"):
        assert not (python / absent).exists(), absent
    assert not list(python.rglob("__pycache__"))


def test_models_layer_and_image_carry_the_same_models(assets: Assets) -> None:
    def listing(folder: Path) -> list[str]:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    source = listing(ROOT / "layers" / "models")
    assert listing(assets.models_layer / "models") == [s for s in source if "__pycache__" not in s]
    assert listing(assets.recognize_image / "models") == listing(assets.models_layer / "models")


def test_missing_handler_fails_with_the_path(tmp_path: Path) -> None:
    # Given a source tree whose uploads function has no handler
    for name in Function:
        (tmp_path / "functions" / name).mkdir(parents=True)
        if name is not Function.UPLOADS:
            (tmp_path / "functions" / name / "handler.py").write_text("")
    shutil.copytree(ROOT / "layers" / "alpr" / "alpr", tmp_path / "layers" / "alpr" / "alpr")
    (tmp_path / "layers" / "models").mkdir()
    # When the assets are built / Then the error names the missing file
    with pytest.raises(AssetError, match=r"functions/uploads/handler\.py is missing"):
        build(root=tmp_path, out=tmp_path / "build")


def test_a_models_folder_without_a_model_fails(tmp_path: Path) -> None:
    # Given every handler but no model under layers/models
    for name in Function:
        (tmp_path / "functions" / name).mkdir(parents=True)
        (tmp_path / "functions" / name / "handler.py").write_text("")
    shutil.copytree(ROOT / "layers" / "alpr" / "alpr", tmp_path / "layers" / "alpr" / "alpr")
    (tmp_path / "layers" / "models" / "half-copied").mkdir(parents=True)
    # When the assets are built / Then recognize would have nothing to run, and the build says so
    with pytest.raises(AssetError, match="holds no model"):
        build(root=tmp_path, out=tmp_path / "build")


@pytest.mark.parametrize(
    ("tag", "loads"),
    [
        ("py3-none-any", True),
        ("cp311-cp311-manylinux_2_17_x86_64", True),
        ("cp311-cp311-manylinux2014_x86_64", True),
        ("cp37-abi3-manylinux_2_26_x86_64", True),
        ("cp311-cp311-manylinux_2_28_x86_64", False),  # needs a newer glibc than Amazon Linux 2
        ("cp312-cp312-manylinux_2_17_x86_64", False),  # another Python
        ("cp311-cp311-manylinux_2_17_aarch64", False),  # another architecture
        ("cp311-cp311-musllinux_1_2_x86_64", False),
    ],
)
def test_layer_accepts_only_wheels_that_load_on_the_python311_runtime(tag: str, loads: bool) -> None:
    assert _loads_on_lambda(tag) is loads


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


@pytest.mark.parametrize("function", ["api", "uploads"])
def test_zip_function_with_its_layers_fits_lambdas_250_mb(function: str, assets: Assets) -> None:
    # Lambda's limit is on the unzipped function and all its layers together.
    total = _size(assets.function_code(function)) + _size(assets.alpr_layer) + _size(assets.models_layer)
    assert total < LAMBDA_UNZIPPED_LIMIT, f"{function}: {total / 1e6:.0f} MB"


def test_the_recognize_image_installs_exactly_the_locked_versions(assets: Assets) -> None:
    # Given the lock make installs from, and the image's requirements
    lock_file = Path(__file__).resolve().parents[2] / "requirements.lock"
    locked = {line.split()[0] for line in lock_file.read_text().splitlines() if "==" in line}
    image = (assets.recognize_image / "requirements.txt").read_text().split()
    # Then every distribution of the image is pinned, at the lock's version (numpy, OpenCV, ONNX
    # Runtime and what they pull in alike)
    assert {"numpy", "onnxruntime", "opencv-python-headless"} <= {pin.split("==")[0] for pin in image}
    assert set(image) <= locked
