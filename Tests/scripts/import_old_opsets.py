"""Old-opset reference models for the importer's upgrade tests.

Writes, into the folder given as argv[1], for each case NAME:
  NAME.onnx      a model written for an old opset with onnx.helper (the operator form the upgrader rewrites)
  NAME.v17.onnx  the same model converted to opset 17 by onnx.version_converter (an independent upgrade), when it can
and a torch 1.13 export at opset 9 (torch_opset9.onnx) with its input and output as TensorProto files.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, version_converter

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
F = TensorProto.FLOAT


def vi(name, shape):
    return helper.make_tensor_value_info(name, F, shape)


def save(name, opset, nodes, inputs, outputs, inits=()):
    if opset < 9:  # IR version 3 lists every initializer among the graph inputs
        inputs = list(inputs) + [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="import_old_opsets")
    m.ir_version = 6 if opset >= 11 else 5 if opset >= 9 else 3
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    try:
        c = version_converter.convert_version(m, 17)
        onnx.save(c, os.path.join(out, name + ".v17.onnx"))
    except Exception as e:  # the converter has no adapter for some ops; the test then uses ORT's run of the original only
        print(f"{name}: onnx.version_converter failed: {e}", file=sys.stderr)


rng = np.random.default_rng(7)
t = lambda name, *shape: numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

save("dropout7", 7, [helper.make_node("Dropout", ["x"], ["d"], ratio=0.3), helper.make_node("Relu", ["d"], ["y"])],
     [vi("x", [2, 3])], [vi("y", [2, 3])])
var = numpy_helper.from_array((rng.random(3) + 0.5).astype(np.float32), "var")
save("batchnorm9", 9, [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "var"], ["y"], epsilon=1e-3, momentum=0.8)],
     [vi("x", [2, 3, 4, 4])], [vi("y", [2, 3, 4, 4])], [t("s", 3), t("b", 3), t("m", 3), var])
save("batchnorm6", 6, [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "var"], ["y"], is_test=1, epsilon=1e-5)],
     [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], [t("s", 3), t("b", 3), t("m", 3), var])
save("split11", 11, [helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[1, 2])],
     [vi("x", [2, 3, 2])], [vi("a", [2, 1, 2]), vi("b", [2, 2, 2])])
save("squeeze11", 11, [helper.make_node("Unsqueeze", ["x"], ["u"], axes=[0, 3]), helper.make_node("Tanh", ["u"], ["h"]),
                       helper.make_node("Squeeze", ["h"], ["y"], axes=[0])],
     [vi("x", [2, 3])], [vi("y", [2, 3, 1])])
save("reducesum11", 11, [helper.make_node("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0)],
     [vi("x", [2, 3, 4])], [vi("y", [2, 4])])
save("upsample9_nearest", 9, [helper.make_node("Upsample", ["x", "sc"], ["y"], mode="nearest")],
     [vi("x", [1, 2, 2, 3])], [vi("y", [1, 2, 4, 9])], [numpy_helper.from_array(np.array([1, 1, 2, 3], np.float32), "sc")])
save("upsample7_linear", 7, [helper.make_node("Upsample", ["x"], ["y"], mode="linear", scales=[1.0, 1.0, 2.0, 2.0])],
     [vi("x", [1, 2, 3, 3])], [vi("y", [1, 2, 6, 6])])
save("resize10_nearest", 10, [helper.make_node("Resize", ["x", "sc"], ["y"], mode="nearest")],
     [vi("x", [1, 1, 3, 2])], [vi("y", [1, 1, 6, 6])], [numpy_helper.from_array(np.array([1, 1, 2, 3], np.float32), "sc")])
save("softmax11_axis1", 11, [helper.make_node("Softmax", ["x"], ["y"], axis=1)], [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])])
save("logsoftmax11_axis0", 11, [helper.make_node("LogSoftmax", ["x"], ["y"], axis=0)], [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])])
save("softmax9_last", 9, [helper.make_node("Softmax", ["x"], ["y"], axis=2)], [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])])
save("clip10", 10, [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.25)], [vi("x", [3, 4])], [vi("y", [3, 4])])
save("pad10", 10, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=1.5)],
     [vi("x", [1, 2, 3, 3])], [vi("y", [1, 2, 6, 6])])
save("pad10_reflect", 10, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], mode="reflect")],
     [vi("x", [1, 2, 4, 4])], [vi("y", [1, 2, 7, 7])])
save("slice9", 9, [helper.make_node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, -1], axes=[0, 2])],
     [vi("x", [4, 3, 5])], [vi("y", [2, 3, 4])])
save("topk9", 9, [helper.make_node("TopK", ["x"], ["v", "i"], k=2)], [vi("x", [3, 5])],
     [vi("v", [3, 2]), helper.make_tensor_value_info("i", TensorProto.INT64, [3, 2])])
save("add6_broadcast_axis", 6, [helper.make_node("Add", ["x", "b"], ["y"], broadcast=1, axis=1)],
     [vi("x", [2, 3, 4, 5]), vi("b", [3])], [vi("y", [2, 3, 4, 5])])

# A PyTorch export at opset 9 (Dropout, BatchNorm, Upsample, view-flatten through a shape sub-graph, Softmax).
try:
    import torch
    import torch.nn as nn
except ImportError:
    sys.exit(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.25)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        x = self.up(self.drop(torch.relu(self.bn(self.conv(x)))))
        x = x.view(x.size(0), -1)
        return torch.softmax(self.fc(x), dim=1)


torch.manual_seed(0)
net = Net()
with torch.no_grad():
    net.bn.running_mean.uniform_(-0.5, 0.5)
    net.bn.running_var.uniform_(0.5, 1.5)
net.eval()
x = torch.randn(2, 2, 3, 3)
with torch.no_grad():
    y = net(x)
torch.onnx.export(net, x, os.path.join(out, "torch_opset9.onnx"), opset_version=9, input_names=["x"], output_names=["y"],
                  do_constant_folding=False)
onnx.save_tensor(numpy_helper.from_array(x.numpy(), "x"), os.path.join(out, "torch_opset9_input.pb"))
onnx.save_tensor(numpy_helper.from_array(y.numpy(), "y"), os.path.join(out, "torch_opset9_output.pb"))
