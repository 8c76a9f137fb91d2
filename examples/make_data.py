"""Regenerate the examples' tiny input files (committed; this script documents how they were made).

Integer hashing, not an RNG, so the bytes never depend on a library version.
"""
from pathlib import Path


def value(i: int, j: int) -> float:
    h = (i * 2654435761 + j * 40503 + 12345) % 2**32
    return round((h / 2**32) * 4.0 - 2.0, 6)


def write(path: Path, rows: int = 256, cols: int = 8) -> None:
    lines = [",".join([f"x{j}" for j in range(cols)] + ["y"])]
    for i in range(rows):
        xs = [value(i, j) for j in range(cols)]
        y = sum((j + 1) * 0.1 * x for j, x in enumerate(xs)) + 0.5 * xs[0] * xs[1]
        lines.append(",".join(f"{v:.6f}" for v in xs + [y]))
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    here = Path(__file__).parent
    for name in ("numpy_train", "torch_train"):
        write(here / name / "data" / "train.csv")
