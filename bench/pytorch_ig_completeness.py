"""PyTorch float64 cross-check of Integrated Gradients' completeness on the shipped CNN (bench/RESULTS.md, Explain).

Usage: pytorch_ig_completeness.py [RULE,...] [STEPS,...] [--image K]
Loads models/fashion-cnn/1/model.onnx's weights into the same network in float64, takes the first 100 Fashion-MNIST
test images, the zero baseline and the predicted class, and prints the completeness error's distribution per rule and
number of points. --image K prints that image's integrand x . grad y(alpha x) at alpha = 0, 1e-6 and 1/127.
"""
import gzip, os, sys
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(root, "Tests", "scripts"))
from ig_rules import RULES, rule_points  # noqa: E402
torch.set_num_threads(2)
weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).astype(np.float64))
           for i in onnx.load(os.path.join(root, "models/fashion-cnn/1/model.onnx")).graph.initializer}


def net(x):
    x = x.view(-1, 1, 28, 28)
    x = F.max_pool2d(torch.relu(F.conv2d(x, weights["1.weight"], weights["1.bias"])), 2)
    x = F.max_pool2d(torch.relu(F.conv2d(x, weights["4.weight"], weights["4.bias"])), 2)
    return torch.flatten(x, 1) @ weights["9.weight"].T + weights["9.bias"]


def integrand(x, t, alphas):
    path = (torch.as_tensor(alphas).view(-1, 1) * x.view(1, -1)).requires_grad_(True)
    net(path)[:, t].sum().backward()
    return (path.grad * x).sum(1).numpy()


with gzip.open(os.path.join(root, "data/fashion-mnist/t10k-images-idx3-ubyte.gz")) as f:
    images = torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:100].astype(np.float32) / 255).double()
with torch.no_grad():
    y, y0 = net(images), net(torch.zeros(1, 784, dtype=torch.float64))[0]
targets = y.argmax(1)

if "--image" in sys.argv:
    k = int(sys.argv[sys.argv.index("--image") + 1]); t = int(targets[k])
    print(f"image {k} target {t} output difference {float(y[k, t] - y0[t]):.6g}")
    for a in (0.0, 1e-6, 1 / 127):
        print(f"  alpha {a:.3g}: integrand {integrand(images[k], t, [a])[0]:.6g}")
    sys.exit(0)

rules = sys.argv[1].split(",") if len(sys.argv) > 1 else RULES
steps = [int(s) for s in sys.argv[2].split(",")] if len(sys.argv) > 2 else [128]
for rule in rules:
    for n in steps:
        alphas, w = rule_points(rule, n)
        errors = []
        for k in range(len(images)):
            t = int(targets[k]); delta = float(y[k, t] - y0[t])
            errors.append(abs(float((w * integrand(images[k], t, alphas)).sum()) - delta) / abs(delta))
        e = np.sort(errors)
        print(f"torch float64 {rule} {n} points: median {np.median(e):.3g}, p90 {e[90]:.3g}, p99 {e[99]:.3g}, max {e[-1]:.3g} "
              f"(image {int(np.argmax(errors))}), <= 0.01: {(e <= 0.01).sum()} of {len(e)}", flush=True)
