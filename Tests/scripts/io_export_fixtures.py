"""Exports the ONNX round-trip fixtures in Tests/data (see Tests/data/README.md).

Run with the Python that has torch 1.13 and onnx 1.12:  python3 Tests/scripts/io_export_fixtures.py [out_dir]
Each fixture NAME gets NAME.onnx and NAME.json; the JSON holds the sample inputs and the reference outputs
(PyTorch's, or numpy's for the hand-made model) as base64 of little-endian bytes plus dtype and shape.
"""
import base64
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data")


def encode(name, a):
    a = np.ascontiguousarray(a)
    return {"name": name, "dtype": str(a.dtype), "shape": list(a.shape),
            "data": base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode("ascii")}


def write_json(name, inputs, outputs, reference):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"reference": reference, "inputs": [encode(k, v) for k, v in inputs],
                   "outputs": [encode(k, v) for k, v in outputs]}, f, indent=1)
        f.write("\n")


def export(name, module, inputs, input_names, output_names, opset, dynamic_axes=None):
    module.eval()
    path = os.path.join(OUT, name + ".onnx")
    # Grad mode stays on: under no_grad, torch 1.13 takes the fused (non-exportable) transformer fast path.
    torch.onnx.export(module, tuple(inputs), path, opset_version=opset, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=False)
    outs = module(*inputs)
    if not isinstance(outs, (tuple, list)):
        outs = (outs,)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    write_json(name, [(n, t.numpy()) for n, t in zip(input_names, inputs)],
               [(n, t.detach().numpy()) for n, t in zip(output_names, outs)], "torch " + torch.__version__)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(20, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=-1)


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        # BatchNorm after the ReLU: directly after the Conv the exporter would fold it into the Conv weights.
        y = self.pool(self.bn(torch.relu(self.conv(x))))
        return self.fc(torch.flatten(y, 1))


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)

    def forward(self, x):
        return self.layer(x)


class ShapeOps(torch.nn.Module):
    """Reshapes by the runtime batch size, so the export holds Shape/Gather/Constant/Concat subgraphs."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.linspace(0.5, 1.5, 4))

    def forward(self, x):
        b = x.shape[0]
        y = x.reshape(b, -1, 4) * self.scale + torch.tensor([1.0, 2.0, 3.0, 4.0])
        return y.transpose(1, 2).reshape(b, -1).sum(dim=1, keepdim=True), y


def hand_made_if():
    """An If with two subgraphs, doc strings, metadata, value_info and float_data (not raw_data) tensors."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])
    two = helper.make_tensor("two", TensorProto.FLOAT, [3], [2.0, 2.5, 3.0])
    then_g = helper.make_graph(
        [helper.make_node("Constant", [], ["k"], value=two, name="then_const"),
         helper.make_node("Mul", ["xs", "k"], ["t_out"], name="then_mul", doc_string="x*k in the then branch")],
        "then_branch", [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, ["n", 3])])
    else_g = helper.make_graph(
        [helper.make_node("Sub", ["xs", "bias"], ["e_out"], name="else_sub")],
        "else_branch", [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, ["n", 3])],
        doc_string="subtracts the bias")
    nodes = [
        helper.make_node("Add", ["x", "bias"], ["xs"], name="shift", doc_string="shift by bias"),
        helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g, else_branch=else_g),
    ]
    bias = helper.make_tensor("bias", TensorProto.FLOAT, [3], [0.5, -1.0, 0.25])
    graph = helper.make_graph(nodes, "if_graph", [x, cond], [y], initializer=[bias], doc_string="graph doc",
                              value_info=[helper.make_tensor_value_info("xs", TensorProto.FLOAT, ["n", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="hand",
                              producer_version="1.0", doc_string="hand-made If model", model_version=3, domain="org.onnxkit.test")
    model.ir_version = 7
    helper.set_model_props(model, {"labels": "a,b,c", "author": "tests"})
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(OUT, "hand_if.onnx"))
    xv = np.array([[1, 2, 3], [-1, 0, 4]], dtype=np.float32)
    for flag in (True, False):
        xs = xv + np.array([0.5, -1.0, 0.25], np.float32)
        out = xs * np.array([2.0, 2.5, 3.0], np.float32) if flag else xs - np.array([0.5, -1.0, 0.25], np.float32)
        write_json("hand_if_" + ("then" if flag else "else"), [("x", xv), ("cond", np.array(flag))], [("y", out)], "numpy")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export("torch_mlp", Mlp(), [torch.randn(4, 20)], ["x"], ["probs"], 13, {"x": {0: "batch"}, "probs": {0: "batch"}})
    cnn = Cnn()
    with torch.no_grad():  # non-trivial running statistics, so BatchNorm is not the identity
        cnn.bn.running_mean.uniform_(-0.5, 0.5)
        cnn.bn.running_var.uniform_(0.5, 2.0)
        cnn.bn.weight.uniform_(0.5, 1.5)
        cnn.bn.bias.uniform_(-0.2, 0.2)
    export("torch_cnn", cnn, [torch.randn(2, 3, 8, 8)], ["image"], ["logits"], 15, {"image": {0: "batch"}, "logits": {0: "batch"}})
    export("torch_encoder", Encoder(), [torch.randn(2, 5, 16)], ["tokens"], ["encoded"], 17,
           {"tokens": {0: "batch", 1: "seq"}, "encoded": {0: "batch", 1: "seq"}})
    export("torch_shape", ShapeOps(), [torch.randn(3, 2, 8)], ["x"], ["total", "grouped"], 14,
           {"x": {0: "batch"}, "total": {0: "batch"}, "grouped": {0: "batch"}})
    hand_made_if()


if __name__ == "__main__":
    main()
