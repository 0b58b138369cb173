"""Exports a small PyTorch CNN (dynamic batch) to ONNX opset 17, for checking the Builder's shape inference on
exporter-written graphs. Usage: rules_torch_export.py OUT.onnx"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, groups=2)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.up = nn.ConvTranspose2d(16, 4, 2, stride=2)
        self.ln = nn.LayerNorm(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.pool(self.conv2(y))
        y = self.up(y)
        z = F.avg_pool2d(y, 2)
        z = self.ln(z.permute(0, 2, 3, 1))
        z = self.fc(z).mean(dim=(1, 2))
        top = torch.topk(z, 2, dim=1)
        cut = torch.cat([z, z], 1)[:, 1:7:2]
        big = F.interpolate(y, scale_factor=2.0, mode="nearest")
        return torch.softmax(z, -1), top.values, cut, big, y.view(y.size(0), -1)


torch.manual_seed(0)
model = Net().eval()
torch.onnx.export(model, torch.randn(2, 3, 20, 20), sys.argv[1], opset_version=17,
                  input_names=["x"], output_names=["probs", "top", "cut", "big", "flat"],
                  dynamic_axes={"x": {0: "batch"}})
