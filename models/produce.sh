#!/usr/bin/env bash
# Retrains the shipped repository entries from the shipped Fashion-MNIST.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build Cli -c Release -v q
tmp=$(mktemp -d)
dotnet Cli/bin/Release/net10.0/onnxkit.dll train --model mlp --epochs 5 --plain --out "$tmp/mlp"
dotnet Cli/bin/Release/net10.0/onnxkit.dll train --model cnn --epochs 3 --plain --out "$tmp/cnn"
mkdir -p models/fashion-mlp/1 models/fashion-cnn/1
cp "$tmp/mlp/model.onnx" models/fashion-mlp/1/model.onnx
cp "$tmp/cnn/model.onnx" models/fashion-cnn/1/model.onnx
rm -rf "$tmp"
