"""PyTorch autograd reference for OnnxKit's autodiff tests.

Usage: autodiff_reference.py NET model.onnx data.json out.json [gradient_model.onnx]
Reads the parameters from the ONNX initializers and the batch from data.json, runs the same network written
with torch.nn.functional, and writes {"loss": float, "grads": {name: [flat float list]}} to out.json. A gradient model, when given, must pass
the onnx checker with full (shape-inferring) checks: gradient graphs are plain standard ONNX.
"""
import json
import math
import sys

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def mlp(p, d):
    x = torch.tensor(d["x"], dtype=torch.float32).reshape(d["x_shape"])
    y = torch.tensor(d["labels"], dtype=torch.int64)
    h = torch.tanh(F.linear(x, p["fc1.weight"], p["fc1.bias"]))
    h = F.relu(F.linear(h, p["fc2.weight"], p["fc2.bias"]))
    return F.cross_entropy(F.linear(h, p["fc3.weight"], p["fc3.bias"]), y)


def cnn(p, d):
    x = torch.tensor(d["x"], dtype=torch.float32).reshape(d["x_shape"])
    y = torch.tensor(d["labels"], dtype=torch.int64)
    h = F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1)
    h = F.batch_norm(h, p["bn1.running_mean"].detach().clone(), p["bn1.running_var"].detach().clone(),
                     p["bn1.weight"], p["bn1.bias"], training=True, momentum=0.1, eps=1e-5)
    h = F.max_pool2d(F.relu(h), 2, 2)
    h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"], stride=1, groups=2))
    h = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)
    return F.cross_entropy(F.linear(h, p["fc.weight"], p["fc.bias"]), y)


def attention(p, d):
    x = torch.tensor(d["x"], dtype=torch.float32).reshape(d["x_shape"])
    t = torch.tensor(d["target"], dtype=torch.float32).reshape(d["x_shape"])
    b, n, dim = x.shape
    heads = 2
    dh = dim // heads

    def split(v):
        return v.reshape(b, n, heads, dh).permute(0, 2, 1, 3)

    q, k, v = split(x @ p["attn.q"]), split(x @ p["attn.k"]), split(x @ p["attn.v"])
    a = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(dh)), dim=-1)
    ctx = (a @ v).permute(0, 2, 1, 3).reshape(b, n, dim)
    h = F.layer_norm(x + ctx @ p["attn.out"], (dim,), p["ln1.weight"], p["ln1.bias"], eps=1e-5)
    f = h @ p["ffn.fc1"] + p["ffn.b1"]
    f = f * 0.5 * (1 + torch.erf(f / math.sqrt(2)))
    y = F.layer_norm(h + f @ p["ffn.fc2"], (dim,), p["ln2.weight"], p["ln2.bias"], eps=1e-5)
    diff = y - t
    return (diff * diff).sum() / diff.numel()


def main():
    net, model_path, data_path, out_path = sys.argv[1:5]
    if len(sys.argv) > 5:
        onnx.checker.check_model(onnx.load(sys.argv[5]), full_check=True)
    model = onnx.load(model_path)
    params = {i.name: torch.tensor(numpy_helper.to_array(i).copy(), requires_grad=True) for i in model.graph.initializer}
    with open(data_path) as f:
        data = json.load(f)
    loss = {"mlp": mlp, "cnn": cnn, "attention": attention}[net](params, data)
    loss.backward()
    grads = {n: t.grad.reshape(-1).tolist() for n, t in params.items() if t.grad is not None}
    with open(out_path, "w") as f:
        json.dump({"loss": loss.item(), "grads": grads}, f)


if __name__ == "__main__":
    main()
