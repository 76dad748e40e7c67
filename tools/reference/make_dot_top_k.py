"""Writes libs/memory-index/src/dot-top-k.onnx: the memory index's exact-search kernel.

Two operators, so onnxruntime's GEMM (MLAS, all cores, SIMD) scores a batch of queries against every
resident vector at once and TopK keeps the best k of each row without the full score matrix leaving
the runtime:

    scores  = queries [batch, dim] . corpus [rows, dim]^T     (Gemm, transB=1)
    best, i = TopK(scores, k), largest first, along rows       (ties: lower row first, per the spec)

Run from the repository root with the tools venv: tools/.venv/bin/python tools/reference/make_dot_top_k.py
The output is deterministic (no weights, no timestamps); the memory index's tests check its results
against libs/scoring's exact search.
"""

from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parents[2] / "libs" / "memory-index" / "src" / "dot-top-k.onnx"


def build() -> onnx.ModelProto:
    inputs = [
        helper.make_tensor_value_info("queries", TensorProto.FLOAT, ["batch", "dim"]),
        helper.make_tensor_value_info("corpus", TensorProto.FLOAT, ["rows", "dim"]),
        helper.make_tensor_value_info("k", TensorProto.INT64, [1]),
    ]
    outputs = [
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", "k"]),
        helper.make_tensor_value_info("indices", TensorProto.INT64, ["batch", "k"]),
    ]
    nodes = [
        helper.make_node("Gemm", ["queries", "corpus"], ["all_scores"], transB=1),
        helper.make_node("TopK", ["all_scores", "k"], ["scores", "indices"], axis=-1, largest=1, sorted=1),
    ]
    graph = helper.make_graph(nodes, "dot_top_k", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="embedline")
    model.ir_version = 8  # readable by every onnxruntime from 1.13 on
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    OUT.write_bytes(build().SerializeToString())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
