"""Reference side of the transfer-learning tests (PyTorch 1.13).

  export  NAME OUTDIR   build model NAME (seeded), export it to OUTDIR/model.onnx (opset 17, BatchNorm and
                        Dropout kept as nodes), write 10 fixed batches (x.bin float32, y.bin int64) and the
                        losses PyTorch gets training on them with SGD and with AdamW (losses.json)
  frozen  NAME OUTDIR   after export: replace the head (fc) by a seeded nn.Linear(in, 3), freeze conv1, bn1 and layer1,
                        train 10 steps with AdamW; write the new head (head.bin: weight then bias, float32) and
                        the losses (losses_frozen.json)
  check   NAME OUTDIR   load OnnxKit's fine-tuned OUTDIR/finetuned.safetensors into the same module with a
                        hand-written safetensors reader, run it on OUTDIR/probe.bin and compare with OnnxKit's
                        OUTDIR/probe_out.bin; prints the max abs difference as JSON
"""
import json, struct, sys
import numpy as np
import torch
import torch.nn as nn

STEPS, BATCH = 10, 16
SGD_LR, ADAMW_LR, ADAMW_WD = 0.05, 1e-3, 0.01


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = Block(8, 8, 1)
        self.layer2 = Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 6)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 16)
        self.encoder = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc(self.encoder(self.proj(x)).mean(dim=1))


class FashionCnn(nn.Module):
    """The transfer demo's network: the head (fc) is replaced in OnnxKit before fine-tuning."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 7 * 7, 7)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


MODELS = {"fashion": (FashionCnn, (1, 28, 28), 7), "mlp": (Mlp, (20,), 5), "cnn": (Cnn, (1, 12, 12), 10), "resnet": (ResNet, (3, 8, 8), 6), "transformer": (Encoder, (6, 8), 4)}


def build(name):
    torch.manual_seed(0)
    return MODELS[name][0]()


def batches(name):
    _, shape, classes = MODELS[name]
    g = torch.Generator().manual_seed(1234)
    xs = torch.randn((STEPS, BATCH) + shape, generator=g)
    ys = torch.randint(0, classes, (STEPS, BATCH), generator=g)
    return xs, ys


def trajectory(name, make_opt, xs, ys):
    model = build(name)
    model.train()
    opt = make_opt(model.parameters())
    losses = []
    for k in range(STEPS):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xs[k]), ys[k])
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


def export(name, out):
    model = build(name)
    model.eval()
    _, shape, _ = MODELS[name]
    dummy = torch.zeros((BATCH,) + shape)
    # Fixed batch size for the transformer (its reshapes then carry constants); a dynamic batch elsewhere.
    dyn = None if name == "transformer" else {"input": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, dummy, f"{out}/model.onnx", opset_version=17, export_params=True,
                      keep_initializers_as_inputs=False, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["logits"],
                      dynamic_axes=dyn)
    xs, ys = batches(name)
    xs.numpy().astype("<f4").tofile(f"{out}/x.bin")
    ys.numpy().astype("<i8").tofile(f"{out}/y.bin")
    result = {
        "steps": STEPS, "batch": BATCH, "sample_shape": list(shape),
        "sgd_lr": SGD_LR, "adamw_lr": ADAMW_LR, "adamw_wd": ADAMW_WD,
        "sgd": trajectory(name, lambda p: torch.optim.SGD(p, lr=SGD_LR), xs, ys),
        "adamw": trajectory(name, lambda p: torch.optim.AdamW(p, lr=ADAMW_LR, weight_decay=ADAMW_WD), xs, ys),
    }
    with open(f"{out}/losses.json", "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


def frozen(name, out):
    xs, ys = batches(name)
    model = build(name)
    torch.manual_seed(5)
    model.fc = nn.Linear(model.fc.in_features, 3)
    head = torch.cat([model.fc.weight.detach().reshape(-1), model.fc.bias.detach()])
    head.numpy().astype("<f4").tofile(f"{out}/head.bin")
    for key, p in model.named_parameters():
        if key.split(".")[0] in ("conv1", "bn1", "layer1"):
            p.requires_grad_(False)
    ys = ys % 3
    ys.numpy().astype("<i8").tofile(f"{out}/y3.bin")
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=ADAMW_LR, weight_decay=ADAMW_WD)
    losses = []
    for k in range(STEPS):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xs[k]), ys[k])
        loss.backward()
        opt.step()
        losses.append(float(loss))
    with open(f"{out}/losses_frozen.json", "w") as f:
        json.dump({"adamw": losses}, f)
    print(json.dumps(losses))


def read_safetensors(path):
    """The whole format: u64 little-endian header length, a JSON header, then raw little-endian data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    state = {}
    for key, info in header.items():
        a, b = info["data_offsets"]
        arr = np.frombuffer(blob[8 + n + a:8 + n + b], dtype=np.dtype(dtypes[info["dtype"]]).newbyteorder("<"))
        state[key] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return state


def check(name, out, head=None):
    model = build(name)
    if head is not None:
        model.fc = nn.Linear(model.fc.in_features, int(head))
    state = read_safetensors(f"{out}/finetuned.safetensors")
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"state_dict mismatch: missing {missing}, unexpected {unexpected}")
    model.eval()
    _, shape, _ = MODELS[name]
    probe = torch.from_numpy(np.fromfile(f"{out}/probe.bin", dtype="<f4").reshape((-1,) + shape))
    theirs = np.fromfile(f"{out}/probe_out.bin", dtype="<f4")
    with torch.no_grad():
        ours = model(probe).numpy().reshape(-1)
    print(json.dumps({"max_abs_diff": float(np.abs(ours - theirs).max()), "loaded": len(state)}))


if __name__ == "__main__":
    cmd, name, out = sys.argv[1:4]
    if cmd == "export":
        export(name, out)
    elif cmd == "frozen":
        frozen(name, out)
    else:
        check(name, out, *sys.argv[4:])
