"""PyTorch reference for OnnxKit's recurrent layers and their gradients.

Usage: recurrent_reference.py cases.json out.json
cases.json: a list of {"kind": "LSTM"|"GRU"|"RNN", "args": {constructor keyword arguments}, "state_dict": {name: [flat floats]},
"x": [flat], "x_shape": [...], "h0"/"c0": [flat] or absent, "w_y"/"w_h"/"w_c": loss weights (flat)}.
Loads the state_dict with strict=True (names, shapes and gate order must be PyTorch's), runs the module in float64,
and writes a list of {"y", "h", "c", "grads": {name: [flat]}}, one per case, for the loss sum(y*w_y) + sum(h_n*w_h) (+ sum(c_n*w_c)).
"""
import json
import sys

import torch


def run(case):
    module = getattr(torch.nn, case["kind"])(**case["args"]).double().eval()  # eval: no dropout between layers, as an inference graph
    state = {k: torch.tensor(v, dtype=torch.float64).reshape(module.state_dict()[k].shape) for k, v in case["state_dict"].items()}
    module.load_state_dict(state, strict=True)
    x = torch.tensor(case["x"], dtype=torch.float64).reshape(case["x_shape"])
    lstm = case["kind"] == "LSTM"
    h_shape = (module.num_layers * (2 if module.bidirectional else 1), x.shape[0 if module.batch_first else 1], module.hidden_size)
    h0 = torch.tensor(case["h0"], dtype=torch.float64).reshape(h_shape) if "h0" in case else None
    c0 = torch.tensor(case["c0"], dtype=torch.float64).reshape(h_shape) if "c0" in case else None
    if lstm:
        y, (h, c) = module(x, None if h0 is None else (h0, c0))
    else:
        y, h = module(x, h0)
        c = None
    loss = (y.reshape(-1) * torch.tensor(case["w_y"], dtype=torch.float64)).sum() + (h.reshape(-1) * torch.tensor(case["w_h"], dtype=torch.float64)).sum()
    if lstm:
        loss = loss + (c.reshape(-1) * torch.tensor(case["w_c"], dtype=torch.float64)).sum()
    loss.backward()
    out = {"y": y.detach().reshape(-1).tolist(), "h": h.detach().reshape(-1).tolist(),
           "grads": {k: p.grad.reshape(-1).tolist() for k, p in module.named_parameters()}}
    if lstm:
        out["c"] = c.detach().reshape(-1).tolist()
    return out


json.dump([run(c) for c in json.load(open(sys.argv[1]))], open(sys.argv[2], "w"))
