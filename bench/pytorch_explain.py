#!/usr/bin/env python3
"""The peer side of `OnnxKit.Bench explain`: Integrated Gradients (trapezoid rule, the path's points as one batch, one
forward + backward per image) for the same architectures in PyTorch (Debian's 1.13), same thread count.
Prints one JSON object per model: median milliseconds per image."""
import argparse, json, os, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_bench import cnn, resnet_small, load  # noqa: E402


def integrated_gradients(model, x, steps):
    alphas = torch.arange(steps, dtype=torch.float32) / (steps - 1)
    w = torch.full((steps,), 1.0 / (steps - 1)); w[0] /= 2; w[-1] /= 2
    baseline = torch.zeros_like(x)
    view = (steps,) + (1,) * (x.dim() - 1)
    path = (baseline + alphas.view(view) * (x - baseline)).requires_grad_(True)
    out = model(path)
    target = int(out[-1].argmax())
    out[:, target].sum().backward()
    return (x[0] - baseline[0]) * (path.grad * w.view(view)).sum(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', 'data', 'fashion-mnist'))
    p.add_argument('--images', type=int, default=20)
    p.add_argument('--steps', type=int, default=64)
    p.add_argument('--threads', type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    _, _, xt, _ = load(a.data)
    xt = xt[:a.images]  # [N, 28, 28]: the models unflatten to [N, 1, 28, 28] themselves
    for name, model in (('cnn', cnn()), ('resnet-small', resnet_small())):
        model.eval()
        integrated_gradients(model, xt[:1], a.steps)  # warm-up
        times = []
        for i in range(a.images):
            t = time.perf_counter()
            integrated_gradients(model, xt[i:i + 1], a.steps)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(json.dumps({'model': name, 'steps': a.steps, 'images': a.images, 'threads': a.threads,
                          'median_ms': times[len(times) // 2], 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
