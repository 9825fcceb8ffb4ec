"""`python -m uptake.signals.voice [FOLDER]`: retrain the shipped model and print the scores."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from uptake.signals.voice.data import CLASSES
from uptake.signals.voice.train import evaluate_voice, train

# The shared data folder beside the repository (…/work/main → …/work/shared/data/goemotions).
DEFAULT = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "goemotions"
GOAL_F1 = 0.5


def table(result: dict[str, dict[str, dict[str, float]]]) -> str:
    """The precision / recall / F1 table of `evaluate_voice`, one row per model and class.

    Args:
        result: what `evaluate_voice` returned.

    Returns:
        Printable text.
    """
    lines = [f"{'model':10s} {'class':11s} {'precision':>9s} {'recall':>7s} {'F1':>6s}"]
    for name in ("keyword", "tfidf_lr", "model"):
        for cls in CLASSES:
            s = result[name][cls]
            goal = ""
            if name == "model":
                goal = "  (goal ≥ 0.50 met)" if s["f1"] >= GOAL_F1 else "  (goal ≥ 0.50 MISSED)"
            row = f"{s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f}"
            lines.append(f"{name:10s} {cls:11s} {row}{goal}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Retrain, write the artifact into the package, and print the test table."""
    parser = argparse.ArgumentParser(prog="python -m uptake.signals.voice")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT.resolve())
    parser.add_argument("--no-train", action="store_true", help="score the shipped model only")
    args = parser.parse_args(argv)
    if not args.no_train:
        path = train(args.folder, progress=lambda m: print(m, flush=True))
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    result = evaluate_voice(args.folder)
    print(f"GoEmotions test ({result['n_test']} texts)")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
