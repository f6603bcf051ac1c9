"""Oracle for TTL.Torch's learning-rate schedulers (SchedulerOracleTests).

Usage: torch_schedulers.py
Prints JSON {case: [[lr of group 0, lr of group 1] for epoch 0..N-1]}: the rates after construction,
then after each step. Two groups start at 0.1 and 0.05. ReduceLROnPlateau cases are fed METRICS.
"""
import json
import warnings

import torch
from torch.optim import lr_scheduler as S

warnings.filterwarnings("ignore")
EPOCHS = 30
METRICS = [1.0, 0.9, 0.95, 0.9, 0.899, 0.91, 0.92, 0.85, 0.86, 0.86, 0.86, 0.86, 0.7, 0.71, 0.72, 0.73,
           0.74, 0.75, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.59, 0.61, 0.62, 0.63, 0.64, 0.65]


def optimizer():
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    return torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.05}], lr=1.0, momentum=0.9)


SCHEDULERS = {
    "step": lambda o: S.StepLR(o, step_size=7, gamma=0.5),
    "exponential": lambda o: S.ExponentialLR(o, gamma=0.9),
    "linear": lambda o: S.LinearLR(o, start_factor=0.25, total_iters=8),
    "cosine": lambda o: S.CosineAnnealingLR(o, T_max=20, eta_min=1e-3),
    "warmup_cosine": lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.01, total_iters=5),
                                                  S.CosineAnnealingLR(o, T_max=25, eta_min=0)], milestones=[5]),
    "poly": lambda o: S.PolynomialLR(o, total_iters=EPOCHS, power=0.9),
}

PLATEAUS = {
    "plateau_min_rel": lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=0.01,
                                                     threshold_mode="rel", cooldown=1, min_lr=[0.01, 0.02]),
    "plateau_max_abs": lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, threshold=0.05,
                                                     threshold_mode="abs", cooldown=0, min_lr=0.001),
}


def rates(o):
    return [g["lr"] for g in o.param_groups]


def main():
    out = {}
    for name, make in SCHEDULERS.items():
        o = optimizer()
        s = make(o)
        seq = [rates(o)]
        for _ in range(EPOCHS - 1):
            o.step()
            s.step()
            seq.append(rates(o))
        out[name] = seq
    for name, make in PLATEAUS.items():
        o = optimizer()
        s = make(o)
        seq = []
        for m in METRICS:
            s.step(m)
            seq.append(rates(o))
        out[name] = seq
    print(json.dumps({"metrics": METRICS, "cases": out}))


if __name__ == "__main__":
    main()
