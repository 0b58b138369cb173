"""Reference attributions for the Explainer tests, from PyTorch autograd on the weights it exports.

Usage: explain_reference.py OUT_DIR
Writes cnn.onnx (channels-first), nhwc.onnx (channels-last input, TensorFlow style), exact.onnx and exact_nhwc.onnx
(dyadic weights: every output is exact in float32 whatever the summation order) and reference.json.
"""
import json, sys, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from ig_rules import RULES, rule_points

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


def integrated_gradients(model, x, baseline, t, n, rule="trapezoid"):
    a, w = rule_points(rule, n)
    shape = (n,) + (1,) * (x.dim() - 1)
    alphas = torch.tensor(a, dtype=torch.float64).view(shape)
    path = ((1 - alphas) * baseline.double() + alphas * x.double()).float().detach().requires_grad_(True)
    model(path)[:, t].sum().backward()
    g = (path.grad.double() * torch.tensor(w).view(shape)).sum(0)
    return ((x[0] - baseline[0]).double() * g).float()


def smooth_grad(model, x, t, noise, level):
    """The mean gradient at x + sigma * noise[k], sigma = level * (max - min) of x."""
    sigma = level * float(x.max() - x.min())
    noisy = (x + sigma * torch.from_numpy(noise).view((-1,) + tuple(x.shape[1:]))).detach().requires_grad_(True)
    model(noisy)[:, t].sum().backward()
    return noisy.grad.mean(0)


def gaussian_blur(x, channels_last, sigma):
    """Each channel convolved with a separable Gaussian (radius ceil(3 sigma)), edges replicated: torch conv, not loops."""
    img = x.permute(0, 3, 1, 2) if channels_last else x
    r = int(np.ceil(3 * sigma))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=torch.float64) / sigma) ** 2)
    k = (k / k.sum()).float()
    c = img.shape[1]
    out = F.conv2d(F.pad(img, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    out = F.conv2d(F.pad(out, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return out.permute(0, 2, 3, 1) if channels_last else out


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
    noise = np.random.default_rng(5).standard_normal((6,) + tuple(shape[1:])).astype(np.float32)
    cam = grad_cam(model, model.conv2, x, t, (8, 8))
    cam = cam.unsqueeze(-1).expand(8, 8, 2) if last else cam.unsqueeze(0).expand(2, 8, 8)
    ref[name] = {
        "input": x[0].flatten().tolist(), "target": t, "other": other, "scores": y.tolist(),
        "saliency": saliency(model, x, t).flatten().tolist(),
        "saliency_other": saliency(model, x, other).flatten().tolist(),
        # A zero image makes every 2x2 pooling window of the first ReLU's (constant, positive) output a tie, where
        # any subgradient is right; a baseline of small noise keeps the whole path differentiable.
        "baseline": baseline.flatten().tolist(),
        "ig16": {rule: integrated_gradients(model, x, baseline, t, 16, rule).detach().flatten().tolist() for rule in RULES},
        "gradcam": cam.detach().flatten().tolist(),
        # SmoothGrad's standard-normal draws, made here and handed to the explainer.
        "noise": noise.flatten().tolist(),
        "smoothgrad": smooth_grad(model, x, t, noise, 0.15).flatten().tolist(),
    }
    # The blur baseline (sigma = a quarter of the shorter side), checked through IG from it and its output.
    blurred = gaussian_blur(x, last, 8 / 4)
    with torch.no_grad():
        ref[name]["blur_baseline_output"] = float(model(blurred)[0, t])
    ref[name]["ig16_blur"] = integrated_gradients(model, x, blurred, t, 16, "gauss-legendre").detach().flatten().tolist()

# Occlusion on a model whose outputs are exact in float32: dyadic weights and inputs, small sums; two channels, fed
# channels-first (exact.onnx) and channels-last (exact_nhwc.onnx).
class Exact(nn.Module):
    def __init__(self, channels_last):
        super().__init__()
        self.channels_last = channels_last
        self.conv = nn.Conv2d(2, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 2)

    def forward(self, x):
        if self.channels_last:
            x = x.permute(0, 3, 1, 2)
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


g = torch.Generator().manual_seed(3)
exact = Exact(False)
with torch.no_grad():
    for p in exact.parameters():
        p.copy_(torch.randint(-4, 5, p.shape, generator=g).float() / 4)
xe = (torch.randint(0, 9, (2, 6, 6), generator=g).float() / 8).numpy()
model64 = Exact(False).double().eval()
model64.load_state_dict(exact.state_dict())


def f(batch):
    with torch.no_grad():
        return model64(torch.from_numpy(np.asarray(batch, dtype=np.float64))).numpy()


te = int(f([xe])[0].argmax())
window, stride = 2, 1
total = np.zeros((2, 6, 6), np.float32); count = np.zeros((2, 6, 6), np.int64)
reference = np.float32(f([xe])[0, te])
for y0 in range(0, 6 - window + 1, stride):
    for x0 in range(0, 6 - window + 1, stride):
        occluded = xe.copy(); occluded[:, y0:y0 + window, x0:x0 + window] = 0
        drop = np.float32(reference - np.float32(f([occluded])[0, te]))
        total[:, y0:y0 + window, x0:x0 + window] += drop
        count[:, y0:y0 + window, x0:x0 + window] += 1
occlusion = (total / count.astype(np.float32)).astype(np.float32)
for name, last in (("exact", False), ("exact_nhwc", True)):
    m = Exact(last)
    m.load_state_dict(exact.state_dict())
    export(m.eval(), (1, 6, 6, 2) if last else (1, 2, 6, 6), f"{out}/{name}.onnx")
    layout = (lambda a: a.transpose(1, 2, 0)) if last else (lambda a: a)
    ref[name] = {"input": layout(xe).flatten().tolist(), "target": te, "window": window, "stride": stride,
                 "occlusion": layout(occlusion).flatten().tolist()}
json.dump(ref, open(f"{out}/reference.json", "w"))
