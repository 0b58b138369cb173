"""PyTorch side of the recurrent import round trip (Tests/Interop.Tests/Transfer/TorchRecurrentRoundTripTests.cs).

Usage: recurrent_roundtrip.py export DIR   -- writes DIR/model.onnx (an LSTM + bidirectional GRU sequence classifier,
                                              exported as the import advice says: training=PRESERVE, no constant
                                              folding, dynamic batch), DIR/x.bin (float32 [8, 6, 4]), DIR/y.bin (int64 [8])
       recurrent_roundtrip.py export-folded DIR -- the same with the exporter's default constant folding: the recurrent
                                              weights become onnx::LSTM_N / onnx::GRU_N tensors (directions joined, gates
                                              in ONNX's order)
       recurrent_roundtrip.py check DIR    -- loads DIR/finetuned.safetensors with load_state_dict(strict=True), runs
                                              DIR/probe.bin and prints {"max_abs_diff"} against DIR/probe_out.bin
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn

from transfer_models import read_safetensors

BATCH, STEPS, FEATURES, CLASSES = 8, 6, 4, 3


class SequenceClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, 5, batch_first=True)
        self.gru = nn.GRU(5, 3, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(6, CLASSES)

    def forward(self, x):
        y, _ = self.lstm(x)
        y, _ = self.gru(y)
        return self.fc(y[:, -1])


cmd, out = sys.argv[1:3]
torch.manual_seed(0)
model = SequenceClassifier()
if cmd in ("export", "export-folded"):
    model.eval()
    torch.onnx.export(model, torch.zeros(2, STEPS, FEATURES), f"{out}/model.onnx", opset_version=17, do_constant_folding=cmd == "export-folded",
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    g = torch.Generator().manual_seed(7)
    torch.randn(BATCH, STEPS, FEATURES, generator=g).numpy().astype("<f4").tofile(f"{out}/x.bin")
    torch.randint(0, CLASSES, (BATCH,), generator=g).numpy().astype("<i8").tofile(f"{out}/y.bin")
else:
    model.load_state_dict(read_safetensors(f"{out}/finetuned.safetensors"), strict=True)
    model.eval()
    probe = torch.from_numpy(np.fromfile(f"{out}/probe.bin", dtype="<f4").reshape(-1, STEPS, FEATURES))
    theirs = np.fromfile(f"{out}/probe_out.bin", dtype="<f4")
    with torch.no_grad():
        ours = model(probe).numpy().reshape(-1)
    print(json.dumps({"max_abs_diff": float(np.abs(ours - theirs).max())}))
