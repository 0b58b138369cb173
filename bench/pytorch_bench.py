#!/usr/bin/env python3
"""The peer side of bench/: the same workloads as OnnxKit.Bench in PyTorch (Debian's 1.13), same data,
same batch size, same optimizer, same thread count. Prints one JSON object per workload on stdout."""
import argparse, gzip, json, os, resource, struct, sys, time
import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root):
    x = read_idx(os.path.join(root, 'train-images-idx3-ubyte.gz')).astype(np.float32) / 255.0
    y = read_idx(os.path.join(root, 'train-labels-idx1-ubyte.gz')).astype(np.int64)
    xt = read_idx(os.path.join(root, 't10k-images-idx3-ubyte.gz')).astype(np.float32) / 255.0
    yt = read_idx(os.path.join(root, 't10k-labels-idx1-ubyte.gz')).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(xt), torch.from_numpy(yt)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Unflatten(1, (1, 28)), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(1600, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--model', default='mlp', choices=['mlp', 'cnn'])
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max-steps', type=int, default=0, help='stop each epoch after this many steps (0: full epoch)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y, xt, yt = load(a.data)
    model = mlp() if a.model == 'mlp' else cnn()
    if a.model == 'cnn':
        x = x.reshape(-1, 28, 28); xt = xt.reshape(-1, 28, 28)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    epochs = []
    for ep in range(a.epochs):
        model.train()
        perm = torch.randperm(n)
        t0 = time.perf_counter(); steps = 0
        for i in range(0, n, a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            steps += 1
            if a.max_steps and steps >= a.max_steps:
                break
        dt = time.perf_counter() - t0
        epochs.append({'seconds': dt, 'steps': steps, 'seconds_per_full_epoch': dt * ((n + a.batch - 1) // a.batch) / steps})
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(json.dumps({'framework': f'pytorch {torch.__version__}', 'model': a.model, 'epochs': epochs, 'test_accuracy': acc,
                      'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == '__main__':
    main()
