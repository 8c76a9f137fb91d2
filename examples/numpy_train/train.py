"""A tiny numpy training: a 2-layer MLP fitted with full-batch gradient descent (float32).

Deterministic given --seed; the matrix products go through the BLAS (sgemm), so a change of
BLAS kernel (OPENBLAS_CORETYPE, another OpenBLAS build) shows in the weights' last bits.
Usage: python train.py [--lr 0.01] [--steps 60] [--seed 0] [--data data/train.csv] [--out out]
"""
import argparse
import os

import numpy as np

import envsnap


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--data", default="data/train.csv")
    ap.add_argument("--out", default="out")
    args = ap.parse_args()

    table = np.loadtxt(args.data, delimiter=",", skiprows=1, dtype=np.float32)
    x, y = table[:, :-1], table[:, -1:]
    rng = np.random.default_rng(args.seed)
    w1 = (rng.standard_normal((x.shape[1], args.hidden)) / np.sqrt(x.shape[1])).astype(np.float32)
    b1 = np.zeros(args.hidden, dtype=np.float32)
    w2 = (rng.standard_normal((args.hidden, 1)) / np.sqrt(args.hidden)).astype(np.float32)
    b2 = np.zeros(1, dtype=np.float32)
    lr = np.float32(args.lr)
    n = np.float32(len(x))

    for step in range(args.steps):
        h = np.tanh(x @ w1 + b1)
        pred = h @ w2 + b2
        err = pred - y
        loss = float(np.mean(err * err))
        g_pred = (2 / n) * err
        g_w2 = h.T @ g_pred
        g_h = (g_pred @ w2.T) * (1 - h * h)
        g_w1 = x.T @ g_h
        w1 -= lr * g_w1
        b1 -= lr * g_h.sum(axis=0)
        w2 -= lr * g_w2
        b2 -= lr * g_pred.sum(axis=0)
        envsnap.log_metrics(step, loss=loss)
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step:3d} loss {loss:.6f}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "w1.npy"), w1)
    np.save(os.path.join(args.out, "w2.npy"), w2)
    np.savez(os.path.join(args.out, "biases.npz"), b1=b1, b2=b2)
    print(f"final loss {loss:.6f}")


if __name__ == "__main__":
    main()
