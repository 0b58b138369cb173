"""Reference learning rates for the schedule tests: torch.optim.lr_scheduler (PyTorch 1.13), stepped n times.

Reads a JSON list of cases {name, scheduler, kwargs, lr, n, warmup?, metrics?} and writes {name: [lr before each
step]}. "warmup" chains LinearLR(start_factor, total_iters) in front (ChainedScheduler); "metrics" feeds
ReduceLROnPlateau.step(metric).

usage: optim_schedules_reference.py cases.json out.json
"""
import json
import sys
import warnings

import torch

warnings.filterwarnings("ignore")


def run(case):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=case["lr"])
    sched = getattr(torch.optim.lr_scheduler, case["scheduler"])(opt, **case["kwargs"])
    if case.get("warmup"):
        # LinearLR must act first, as in ChainedScheduler([LinearLR, inner]); build both on a fresh optimizer in that order.
        opt = torch.optim.SGD([param], lr=case["lr"])
        warm = torch.optim.lr_scheduler.LinearLR(opt, total_iters=case["warmup"]["total_iters"],
                                                 start_factor=case["warmup"]["start_factor"])
        inner = getattr(torch.optim.lr_scheduler, case["scheduler"])(opt, **case["kwargs"])
        sched = torch.optim.lr_scheduler.ChainedScheduler([warm, inner])
    lrs = []
    for t in range(case["n"]):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if case.get("metrics") is not None:
            sched.step(case["metrics"][t])
        else:
            sched.step()
    return lrs


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    with open(sys.argv[2], "w") as f:
        json.dump({c["name"]: run(c) for c in cases}, f)


if __name__ == "__main__":
    main()
