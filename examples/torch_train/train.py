"""A tiny PyTorch CPU training: an MLP regressor fitted with Adam on a small CSV.

Deterministic given --seed (CPU, deterministic algorithms on). Writes the weights
(out/model.pt, a plain state_dict loadable with weights_only=True) and per-step metrics.
Usage: python train.py [--lr 0.01] [--steps 40] [--seed 0] [--data data/train.csv] [--out out]
"""
import argparse
import csv
import os

import torch

import envsnap


def load(path: str) -> torch.Tensor:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return torch.tensor([[float(v) for v in r] for r in rows], dtype=torch.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default="data/train.csv")
    ap.add_argument("--out", default="out")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    table = load(args.data)
    x, y = table[:, :-1], table[:, -1:]
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    for step in range(args.steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        envsnap.log_metrics(step, loss=loss.item())
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step:3d} loss {loss.item():.6f}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, "model.pt"))
    print(f"final loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
