"""Reference attributions for the Explainer tests, from PyTorch autograd on the weights it exports.

Usage: explain_reference.py OUT_DIR
Writes cnn.onnx (channels-first), nhwc.onnx (channels-last input, TensorFlow style), exact.onnx (dyadic weights:
every output is exact in float32 whatever the summation order) and reference.json.
"""
import json, sys, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(7)


class Cnn(nn.Module):
    def __init__(self, channels_last=False):
        super().__init__()
        self.channels_last = channels_last
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1)
        self.fc = nn.Linear(5 * 4 * 4, 3)

    def forward(self, x):
        if self.channels_last:
            x = x.permute(0, 3, 1, 2)
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


def export(model, shape, path):
    torch.onnx.export(model, torch.zeros(shape), path, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=13)


def saliency(model, x, t):
    x = x.clone().requires_grad_(True)
    model(x)[0, t].backward()
    return x.grad[0]


def integrated_gradients(model, x, baseline, t, n):
    alphas = torch.arange(n, dtype=torch.float32) / (n - 1)
    w = torch.full((n,), 1.0 / (n - 1)); w[0] /= 2; w[-1] /= 2
    shape = (n,) + (1,) * (x.dim() - 1)
    path = (baseline + alphas.view(shape) * (x - baseline)).detach().requires_grad_(True)
    model(path)[:, t].sum().backward()
    g = (path.grad * w.view(shape)).sum(0)
    return (x[0] - baseline[0]) * g


def grad_cam(model, layer, x, t, size):
    store = {}
    h1 = layer.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
    h2 = layer.register_full_backward_hook(lambda m, gi, go: store.__setitem__("g", go[0]))
    y = model(x.clone().requires_grad_(True))
    y[0, t].backward()
    h1.remove(); h2.remove()
    a, g = store["a"], store["g"]
    cam = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    return F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]


ref = {}
for name, last in (("cnn", False), ("nhwc", True)):
    model = Cnn(last).eval()
    shape = (1, 8, 8, 2) if last else (1, 2, 8, 8)
    export(model, shape, f"{out}/{name}.onnx")
    x = torch.rand(shape)
    baseline = torch.rand(shape) * 0.1
    with torch.no_grad():
        y = model(x)[0]
    t = int(y.argmax())
    other = (t + 1) % 3
    cam = grad_cam(model, model.conv2, x, t, (8, 8))
    cam = cam.unsqueeze(-1).expand(8, 8, 2) if last else cam.unsqueeze(0).expand(2, 8, 8)
    ref[name] = {
        "input": x[0].flatten().tolist(), "target": t, "other": other, "scores": y.tolist(),
        "saliency": saliency(model, x, t).flatten().tolist(),
        "saliency_other": saliency(model, x, other).flatten().tolist(),
        # A zero image makes every 2x2 pooling window of the first ReLU's (constant, positive) output a tie, where
        # any subgradient is right; a baseline of small noise keeps the whole path differentiable.
        "baseline": baseline.flatten().tolist(),
        "ig16": integrated_gradients(model, x, baseline, t, 16).detach().flatten().tolist(),
        "gradcam": cam.detach().flatten().tolist(),
    }

# Occlusion on a model whose outputs are exact in float32: dyadic weights and inputs, small sums.
exact = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 2))
g = torch.Generator().manual_seed(3)
with torch.no_grad():
    for p in exact.parameters():
        p.copy_(torch.randint(-4, 5, p.shape, generator=g).float() / 4)
export(exact, (1, 1, 6, 6), f"{out}/exact.onnx")
xe = (torch.randint(0, 9, (1, 6, 6), generator=g).float() / 8).numpy()
model64 = exact.double().eval()


def f(batch):
    with torch.no_grad():
        return model64(torch.from_numpy(np.asarray(batch, dtype=np.float64)[:, None])).numpy()


te = int(f([xe[0]])[0].argmax())
window, stride = 2, 1
total = np.zeros((6, 6), np.float32); count = np.zeros((6, 6), np.int64)
reference = np.float32(f([xe[0]])[0, te])
for y0 in range(0, 6 - window + 1, stride):
    for x0 in range(0, 6 - window + 1, stride):
        occluded = xe[0].copy(); occluded[y0:y0 + window, x0:x0 + window] = 0
        drop = np.float32(reference - np.float32(f([occluded])[0, te]))
        total[y0:y0 + window, x0:x0 + window] += drop
        count[y0:y0 + window, x0:x0 + window] += 1
ref["exact"] = {"input": xe.flatten().tolist(), "target": te, "window": window, "stride": stride,
                "occlusion": (total / count.astype(np.float32)).astype(np.float32).flatten().tolist()}
json.dump(ref, open(f"{out}/reference.json", "w"))
