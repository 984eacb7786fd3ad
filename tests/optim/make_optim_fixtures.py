#!/usr/bin/env python3
"""Makes the optimizer and scheduler parity fixtures: what PyTorch does, step by step, on a fixed problem.

Writes optim_fixtures.json next to itself (committed; the C++ test never needs Python). Rerun only when
cases change:

  python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
  /tmp/torchenv/bin/python tests/optim/make_optim_fixtures.py

The problem: W [3, 4], b [4] (float64), loss = sum((x·W + b − y)²) for fixed x [5, 3], y [5, 4]. Each
optimizer case records W and b after every one of 20 steps; each scheduler case records the learning rate
(and momentum, for OneCycleLR) after construction and after every step.
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 20


def problem():
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    y = torch.randn(5, 4, generator=g, dtype=torch.float64)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64)
    b = torch.randn(4, generator=g, dtype=torch.float64)
    return x, y, w, b


def flat(t):
    return [float(v) for v in t.detach().reshape(-1)]


OPTIMIZERS = [
    ("sgd", "SGD", {"lr": 0.05}),
    ("sgd_momentum", "SGD", {"lr": 0.02, "momentum": 0.9}),
    ("sgd_dampening_decay", "SGD", {"lr": 0.02, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd_nesterov", "SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.001}),
    ("adam", "Adam", {"lr": 0.01}),
    ("adam_amsgrad_decay", "Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.01, "amsgrad": True}),
    ("adamw", "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.02, "amsgrad": True, "eps": 1e-6}),
    ("rmsprop", "RMSprop", {"lr": 0.01}),
    ("rmsprop_centered_momentum", "RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.5,
                                              "weight_decay": 0.01}),
    ("adagrad", "Adagrad", {"lr": 0.1}),
    ("adagrad_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
]


def run_optimizer(kind, options, groups=False):
    x, y, w, b = problem()
    w.requires_grad_()
    b.requires_grad_()
    if groups:
        params = [{"params": [w]}, {"params": [b], "lr": options["lr"] * 0.1}]
    else:
        params = [w, b]
    optimizer = getattr(torch.optim, kind)(params, **options)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = ((x @ w + b - y) ** 2).sum()
        loss.backward()
        optimizer.step()
        trajectory.append({"w": flat(w), "b": flat(b)})
    return trajectory


def scheduler_sequence(make, steps=30, momentum=False, metrics=None):
    w = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    scheduler = make(optimizer)
    lrs, momenta = [optimizer.param_groups[0]["lr"]], [optimizer.param_groups[0]["momentum"]]
    for step in range(steps):
        optimizer.step()
        if metrics is not None:
            scheduler.step(metrics[step])
        else:
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
    return {"lr": lrs, "momentum": momenta if momentum else None}


def main():
    x, y, w, b = problem()
    cases = {"problem": {"x": flat(x), "y": flat(y), "w": flat(w), "b": flat(b)}, "optimizers": [], "schedulers": []}
    for name, kind, options in OPTIMIZERS:
        cases["optimizers"].append({"name": name, "optimizer": kind, "options": {k: list(v) if isinstance(v, tuple) else v
                                                                                  for k, v in options.items()},
                                    "trajectory": run_optimizer(kind, options)})
    cases["optimizers"].append({"name": "sgd_two_groups", "optimizer": "SGD", "options": {"lr": 0.05, "momentum": 0.5},
                                "groups": True, "trajectory": run_optimizer("SGD", {"lr": 0.05, "momentum": 0.5}, True)})
    S = torch.optim.lr_scheduler
    plateau_metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85] + [0.85] * 17
    schedulers = [
        ("step", {"step_size": 3, "gamma": 0.5}, lambda o: S.StepLR(o, 3, 0.5)),
        ("multistep", {"milestones": [2, 5, 9], "gamma": 0.3}, lambda o: S.MultiStepLR(o, [2, 5, 9], 0.3)),
        ("exponential", {"gamma": 0.9}, lambda o: S.ExponentialLR(o, 0.9)),
        ("cosine", {"t_max": 10, "eta_min": 0.001}, lambda o: S.CosineAnnealingLR(o, 10, 0.001)),
        ("linear_warmup", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4},
         lambda o: S.LinearLR(o, 0.25, 1.0, 4)),
    ]
    for name, args, make in schedulers:
        cases["schedulers"].append({"name": name, "args": args, **scheduler_sequence(make)})
    cases["schedulers"].append({"name": "one_cycle", "args": {"max_lr": 0.5, "total_steps": 30},
                                **scheduler_sequence(lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=30),
                                                     steps=29, momentum=True)})
    cases["schedulers"].append({"name": "plateau", "args": {"factor": 0.5, "patience": 2, "cooldown": 1},
                                "metrics": plateau_metrics,
                                **scheduler_sequence(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1),
                                                     metrics=plateau_metrics)})
    with open(os.path.join(HERE, "optim_fixtures.json"), "w") as out:
        json.dump(cases, out, indent=None, separators=(",", ":"))
        out.write("\n")
    print(f"{len(cases['optimizers'])} optimizer cases, {len(cases['schedulers'])} scheduler cases")


if __name__ == "__main__":
    main()
