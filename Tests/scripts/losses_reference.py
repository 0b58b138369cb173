"""Reference values for OnnxKit's losses from PyTorch's torch.nn.functional.

Usage: losses_reference.py CASES.json [--double]
CASES.json is a list of {"fn", "input", "target", "kwargs"}; tensors are {"dtype", "shape", "data"}.
Prints a JSON list of {"shape", "data"}, one per case, computed in the cases' own dtype, or with --double in
float64 from the same (float32) values, so the reference carries no float32 rounding of its own.

Beyond torch.nn.functional's names, "cross_entropy_of_log" is cross_entropy(log(input), ...): for inputs that
are probabilities (rows summing to 1) log_softmax(log p) = log p, so this is PyTorch's cross-entropy of
probabilities. The reduction "batchmean" of a function other than kl_div is its sum divided by input.shape[0].
"""
import json
import sys

import torch
import torch.nn.functional as F

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


DOUBLE = "--double" in sys.argv[2:]


def tensor(spec):
    t = torch.tensor(spec["data"], dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return t.double() if DOUBLE and t.is_floating_point() else t


def cross_entropy_of_log(input, target, **kwargs):
    return F.cross_entropy(torch.log(input), target, **kwargs)


FUNCTIONS = {
    "mse_loss": F.mse_loss,
    "l1_loss": F.l1_loss,
    "huber_loss": F.huber_loss,
    "smooth_l1_loss": F.smooth_l1_loss,
    "cross_entropy": F.cross_entropy,
    "cross_entropy_of_log": cross_entropy_of_log,
    "nll_loss": F.nll_loss,
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "kl_div": F.kl_div,
}


def run(case):
    fn = FUNCTIONS[case["fn"]]
    kwargs = {k: tensor(v) if isinstance(v, dict) else v for k, v in case.get("kwargs", {}).items()}
    x, t = tensor(case["input"]), tensor(case["target"])
    if kwargs.get("reduction") == "batchmean" and case["fn"] != "kl_div":
        kwargs["reduction"] = "sum"
        out = fn(x, t, **kwargs) / x.shape[0]
    else:
        out = fn(x, t, **kwargs)
    return {"shape": list(out.shape), "data": out.detach().reshape(-1).tolist()}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    print(json.dumps([run(c) for c in cases]))


if __name__ == "__main__":
    main()
