"""Reference trajectories for the optimizer tests.

Reads a JSON file of cases (optimizer spec, initial parameters, a fixed gradient sequence), runs each case with
torch.optim (PyTorch 1.13) -- or, for Lion, which torch 1.13 lacks, a NumPy transcription of Algorithm 2 of
Chen et al. 2023 -- and writes the parameters after every step as JSON.

usage: optim_reference.py cases.json out.json
"""
import json
import sys

import numpy as np
import torch


def lion_numpy(case, dtype):
    kw = case["kwargs"]
    lr, (b1, b2), wd = kw.get("lr", 1e-4), kw.get("betas", (0.9, 0.99)), kw.get("weight_decay", 0.0)
    ps = [np.array(p["init"], dtype=dtype).reshape(p["shape"]) for p in case["params"]]
    ms = [np.zeros_like(p) for p in ps]
    out = []
    for step in range(case["steps"]):
        for i, p in enumerate(case["params"]):
            g = np.array(p["grads"][step], dtype=dtype).reshape(p["shape"])
            c = dtype(b1) * ms[i] + dtype(1 - b1) * g
            ps[i] = ps[i] * dtype(1 - lr * wd) - dtype(lr) * np.sign(c)
            ms[i] = dtype(b2) * ms[i] + dtype(1 - b2) * g
        out.append([p.reshape(-1).astype(np.float64).tolist() for p in ps])
    return out


def nadam_transcribed(case, dtype, torch_1_13_bug=False):
    """torch.optim.NAdam's single-tensor step as in PyTorch >= 2.0, which follows Dozat's paper. PyTorch 1.13 multiplies
    mu into mu_product_next twice (fixed upstream in 2.0); with torch_1_13_bug=True this transcription reproduces 1.13,
    which main() checks against torch.optim.NAdam itself so that the transcription is anchored to torch."""
    kw = case["kwargs"]
    lr, (beta1, beta2) = kw.get("lr", 2e-3), kw.get("betas", (0.9, 0.999))
    eps, wd, psi = kw.get("eps", 1e-8), kw.get("weight_decay", 0.0), kw.get("momentum_decay", 4e-3)
    params = [torch.tensor(p["init"], dtype=dtype).reshape(p["shape"]) for p in case["params"]]
    exp_avgs = [torch.zeros_like(p) for p in params]
    exp_avg_sqs = [torch.zeros_like(p) for p in params]
    mu_products = [torch.tensor(1.) for _ in params]
    out = []
    for step in range(1, case["steps"] + 1):
        for i, param in enumerate(params):
            grad = torch.tensor(case["params"][i]["grads"][step - 1], dtype=dtype).reshape(param.shape)
            bias_correction2 = 1 - beta2 ** step
            if wd != 0:
                grad = grad.add(param, alpha=wd)
            mu = beta1 * (1. - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * psi)))
            mu_products[i] *= mu
            if torch_1_13_bug:
                mu_product_next = (mu_products[i] * mu * mu_next).item()
            else:
                mu_product_next = mu_products[i].item() * mu_next
            exp_avgs[i].mul_(beta1).add_(grad, alpha=1 - beta1)
            exp_avg_sqs[i].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sqs[i].div(bias_correction2).sqrt().add_(eps)
            param.addcdiv_(grad, denom, value=-lr * (1. - mu) / (1. - mu_products[i].item()))
            param.addcdiv_(exp_avgs[i], denom, value=-lr * mu_next / (1. - mu_product_next))
        out.append([p.reshape(-1).double().tolist() for p in params])
    return out


def run_torch(case, dtype):
    params = [torch.tensor(p["init"], dtype=dtype).reshape(p["shape"]).requires_grad_(True) for p in case["params"]]
    kw = dict(case["kwargs"])
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    opt = getattr(torch.optim, case["optimizer"])(params, **kw)
    out = []
    for step in range(case["steps"]):
        for p, spec in zip(params, case["params"]):
            p.grad = torch.tensor(spec["grads"][step], dtype=dtype).reshape(spec["shape"])
        if case.get("clip_value") is not None:
            torch.nn.utils.clip_grad_value_(params, case["clip_value"])
        if case.get("clip_norm") is not None:
            torch.nn.utils.clip_grad_norm_(params, case["clip_norm"])
        opt.step()
        out.append([p.detach().reshape(-1).double().tolist() for p in params])
    return out


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    results = {}
    for case in cases:
        f64 = case.get("dtype") == "float64"
        if case["optimizer"] == "NAdam":
            dtype = torch.float64 if f64 else torch.float32
            if nadam_transcribed(case, dtype, torch_1_13_bug=True) != run_torch(case, dtype):
                sys.exit("the NAdam transcription does not reproduce torch.optim.NAdam of this torch version")
            results[case["name"]] = nadam_transcribed(case, dtype)
        elif case["optimizer"] == "Lion":
            results[case["name"]] = lion_numpy(case, np.float64 if f64 else np.float32)
        else:
            results[case["name"]] = run_torch(case, torch.float64 if f64 else torch.float32)
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
