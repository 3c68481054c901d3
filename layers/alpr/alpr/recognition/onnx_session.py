"""The one way recognition opens an ONNX model: CPU, sequential, `threads` intra-op threads."""

from __future__ import annotations

import pathlib

import onnxruntime as ort


def cpu_session(path: pathlib.Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
