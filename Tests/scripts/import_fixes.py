"""Reference side of the import-fix tests (PyTorch 1.13): exports as users make them, and checks of OnnxKit's results.

  export OUTDIR   writes, from seeded modules:
                    folded.onnx    Conv+BatchNorm CNN exported in eval mode with the exporter's defaults (BatchNorm folded)
                    kept.onnx      the same module exported with TrainingMode.PRESERVE, no constant folding
                    convonly.onnx  a CNN without BatchNorm exported with the defaults (nothing to fold)
                    seq.onnx       Linear over a 3-D input + GroupNorm + Linear + Softmax exported with the defaults
                                   (weights named onnx::MatMul_*, onnx::Mul_*, onnx::Add_*), input 'image', output 'probs'
                    twobn.onnx     two BatchNorms of one width exported with PRESERVE (equal fresh tensors stored once)
                  and counts.json: sum(p.numel() for p in module.parameters()) for each
  check OUTDIR    loads OUTDIR/seq.safetensors into the Seq module with load_state_dict(strict=True), runs it on
                  OUTDIR/probe.bin ([4, 5, 6] float32) and prints the max abs difference to OUTDIR/probe_out.bin as JSON
"""
import json, os, sys
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transfer_models import read_safetensors  # noqa: E402


class Cnn(nn.Module):
    def __init__(self, bn=True):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4) if bn else nn.Identity()
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8) if bn else nn.Identity()
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


class TwoBn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))
        return self.fc(x.mean(dim=(2, 3)))


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 12)
        self.gn = nn.GroupNorm(3, 12)
        self.head = nn.Linear(12, 4)

    def forward(self, x):  # [batch, time, 6]
        h = torch.relu(self.embed(x))
        h = self.gn(h.transpose(1, 2))
        return torch.softmax(self.head(h.mean(dim=2)), dim=1)


def seeded(make):
    torch.manual_seed(0)
    m = make()
    # Non-trivial affine and statistics, so that folding and renaming errors show.
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (nn.BatchNorm2d, nn.GroupNorm)):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
    return m.eval()


def export(out):
    image = torch.zeros(2, 1, 28, 28)
    dyn = {"image": {0: "batch"}, "probs": {0: "batch"}}
    plain = dict(opset_version=17, input_names=["image"], output_names=["probs"], dynamic_axes=dyn)
    keep = dict(plain, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    torch.onnx.export(seeded(Cnn), image, f"{out}/folded.onnx", **plain)
    torch.onnx.export(seeded(Cnn), image, f"{out}/kept.onnx", **keep)
    torch.onnx.export(seeded(lambda: Cnn(bn=False)), image, f"{out}/convonly.onnx", **plain)
    torch.onnx.export(seeded(Seq), torch.zeros(2, 5, 6), f"{out}/seq.onnx", **plain)
    torch.manual_seed(0)
    torch.onnx.export(TwoBn().eval(), image, f"{out}/twobn.onnx", **keep)  # fresh BatchNorms: equal tensors
    counts = {name: sum(p.numel() for p in make().parameters()) for name, make in
              [("folded", Cnn), ("kept", Cnn), ("convonly", lambda: Cnn(bn=False)), ("seq", Seq), ("twobn", TwoBn)]}
    with open(f"{out}/counts.json", "w") as f:
        json.dump(counts, f)


def check(out):
    model = Seq()
    model.load_state_dict(read_safetensors(f"{out}/seq.safetensors"), strict=True)
    model.eval()
    probe = torch.from_numpy(np.fromfile(f"{out}/probe.bin", dtype="<f4").reshape(4, 5, 6))
    expected = np.fromfile(f"{out}/probe_out.bin", dtype="<f4").reshape(4, 4)
    with torch.no_grad():
        got = model(probe).numpy()
    print(json.dumps({"max_abs_diff": float(np.abs(got - expected).max())}))


if __name__ == "__main__":
    {"export": export, "check": check}[sys.argv[1]](sys.argv[2])
