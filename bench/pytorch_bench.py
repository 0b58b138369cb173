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


class BasicBlock(nn.Module):
    """ModelZoo.BasicBlock: two 3x3 Conv+BN, projected skip (1x1 Conv+BN) where the shape changes."""
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Conv2d(cin, cout, 1, stride, bias=False); self.downsample_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        skip = x if self.downsample is None else self.downsample_bn(self.downsample(x))
        return torch.relu(y + skip)


def resnet_small():
    """ModelZoo.ResNetSmall: stem Conv(16)+BN+ReLU, blocks 16, 32/2, 64/2, global average pool, Linear."""
    return nn.Sequential(nn.Unflatten(1, (1, 28)), nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class TransformerSmall(nn.Module):
    """ModelZoo.TransformerSmall: 4x4 patches -> Linear(64) + learned positions -> 2 pre-norm encoder layers (4 heads,
    feed-forward 128, GELU, dropout 0.1) -> mean over patches -> LayerNorm -> Linear."""
    def __init__(self, d=64, layers=2, heads=4, patch=4, side=28, classes=10):
        super().__init__()
        self.p = patch; self.g = side // patch
        self.embed = nn.Linear(patch * patch, d)
        self.pos = nn.Parameter(torch.randn(1, self.g * self.g, d) * 0.02)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, 2 * d, 0.1, activation='gelu', batch_first=True, norm_first=True)
                                     for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        n = x.shape[0]
        t = x.reshape(n, 1, self.g, self.p, self.g, self.p).permute(0, 2, 4, 1, 3, 5).reshape(n, self.g * self.g, self.p * self.p)
        t = self.embed(t) + self.pos
        for layer in self.layers:
            t = layer(t)
        return self.head(self.norm(t.mean(1)))


class LstmClassifier(nn.Module):
    """ModelZoo.Lstm: the image's 28 rows as a sequence -> LSTM(128) -> final hidden state -> Linear."""
    def __init__(self, hidden=128, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


MODELS = {'mlp': mlp, 'cnn': cnn, 'resnet-small': resnet_small, 'transformer-small': TransformerSmall, 'lstm': LstmClassifier}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train_windows(a, model, x, y):
    """Times --runs windows of --steps steps after --warmup steps (the OnnxKit.Bench train-one protocol)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    per_epoch = (n + a.batch - 1) // a.batch
    model.train()
    windows = []
    done = 0
    t0 = None
    total = a.warmup + a.runs * a.steps
    while done < total:
        perm = torch.randperm(n)
        for i in range(0, n, a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            done += 1
            if done == a.warmup:
                t0 = time.perf_counter()
            elif done > a.warmup and (done - a.warmup) % a.steps == 0:
                t1 = time.perf_counter(); windows.append(t1 - (t0 or t1)); t0 = t1
            if done >= total:
                break
    per_step = [w / a.steps for w in windows]
    return {'framework': f'pytorch {torch.__version__}', 'model': a.model, 'steps_per_window': a.steps,
            'seconds_per_step': per_step, 'seconds_per_epoch': [s * per_epoch for s in per_step], 'peak_rss_mb': rss_mb()}


def infer(a, model, x):
    """Samples per second of the model in eval mode without gradients at batch 1 and 128 (--runs windows of --steps calls)."""
    model.eval()
    out = {'framework': f'pytorch {torch.__version__}', 'model': a.model}
    with torch.no_grad():
        for b in (1, 128):
            xb = x[:b].clone()
            for _ in range(a.warmup):
                model(xb)
            calls = a.steps if b == 1 else a.steps128
            rates = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                for _ in range(calls):
                    model(xb)
                rates.append(calls * b / (time.perf_counter() - t0))
            out[f'samples_per_second_batch{b}'] = rates
    out['peak_rss_mb'] = rss_mb()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--model', default='mlp', choices=list(MODELS))
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max-steps', type=int, default=0, help='stop each epoch after this many steps (0: full epoch)')
    ap.add_argument('--steps', type=int, default=0, help='window mode: time --runs windows of this many steps after --warmup')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--infer', action='store_true', help='inference samples/s at batch 1 (--steps calls) and 128 (--steps128 calls)')
    ap.add_argument('--steps128', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y, xt, yt = load(a.data)
    model = MODELS[a.model]()
    if a.model != 'mlp':
        x = x.reshape(-1, 28, 28); xt = xt.reshape(-1, 28, 28)
    if a.infer:
        print(json.dumps(infer(a, model, xt))); return
    if a.steps > 0:
        print(json.dumps(train_windows(a, model, x, y))); return
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
                      'peak_rss_mb': rss_mb()}))


if __name__ == '__main__':
    main()
