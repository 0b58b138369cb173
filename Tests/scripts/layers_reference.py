"""PyTorch reference for the OnnxKit nn layer tests.

Usage: layers_reference.py CASES_DIR

Every sub-folder of CASES_DIR is one case written by the C# tests:
  case.json   {"module": <Python expression building the torch module>, "train": bool,
               "inputs": [{"name", "file", "dtype", "shape"}], "outputs": {name: <Python expression>}}
  model.onnx  the OnnxKit graph; its initializers are the module's weights by state_dict name
  <input files> raw little-endian tensors
The module's state_dict is loaded from the initializers with strict=True (so the names and shapes must be exactly
PyTorch's; only num_batches_tracked may be absent), the output expressions are evaluated in order with `m`, `torch`,
`nn`, `F` and the inputs in scope, and each output is written as <name>.out.bin (float32) with its shape in
outputs.json. Each model must then pass onnx.checker.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"float32": np.float32, "int64": np.int64, "bool": np.bool_}


def run_case(folder):
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    torch.manual_seed(0)
    m = eval(case["module"], {"torch": torch, "nn": nn, "F": F})
    model = onnx.load(os.path.join(folder, "model.onnx"))
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    state = m.state_dict()
    for key in state:
        # PyTorch counts batches in BatchNorm; OnnxKit does not keep that buffer.
        if key not in weights and key.endswith("num_batches_tracked"):
            weights[key] = state[key]
    m.load_state_dict(weights, strict=True)
    m.train(bool(case["train"]))
    scope = {"m": m, "torch": torch, "nn": nn, "F": F}
    for spec in case["inputs"]:
        data = np.fromfile(os.path.join(folder, spec["file"]), dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
        scope[spec["name"]] = torch.from_numpy(data.copy())
    shapes = {}
    # Gradients stay enabled so that PyTorch takes its reference (non-fused) code paths.
    for name, expr in case["outputs"].items():
        value = eval(expr, scope)
        arr = value.detach().to(torch.float32).numpy()
        arr.astype("<f4").tofile(os.path.join(folder, name + ".out.bin"))
        shapes[name] = list(arr.shape)
    with open(os.path.join(folder, "outputs.json"), "w") as f:
        json.dump(shapes, f)
    # The graph must also be valid for the checker shipped with onnx 1.12. The checker wants a shape on every graph
    # output; outputs whose shape OnnxKit could not infer (operators without an inference rule) get PyTorch's.
    for out in model.graph.output:
        if not out.type.tensor_type.HasField("shape") and out.name in shapes:
            out.type.CopyFrom(onnx.helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, shapes[out.name]))
    onnx.checker.check_model(model)


def main():
    root = sys.argv[1]
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isdir(folder):
            try:
                run_case(folder)
            except Exception as e:  # report which case failed, then stop
                raise SystemExit(f"case '{name}': {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
