"""Top-1 / top-3 accuracy and calibration of the classifier on the hand-labelled set (tests/data/labelled_products.csv).

Run from the repository root: ``.venv/bin/python bench/eval_classify.py [--errors]``.
With ``--real``: the 340 real register strings of ``tests/data/register_products.csv`` (labelled before tuning),
answered / abstained / right, through :func:`chainmatch.matching.evaluation.classification_on_strings`.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chainmatch.knowledge.classify import classify_many, default_classifier
from chainmatch.knowledge.industries import load_industries

LABELLED = ROOT / "tests" / "data" / "labelled_products.csv"


def real() -> None:
    from chainmatch.matching.evaluation import classification_on_strings

    r = classification_on_strings(ROOT / "tests" / "data" / "register_products.csv")
    print(f"real register strings: {r.labelled} name an industry; answered {r.answered} "
          f"(abstention {r.abstention:.1%}), right {r.correct} = top-1 {r.top1:.3f} of the answered, "
          f"{r.correct / r.labelled:.3f} of all; {r.no_industry} name none, {r.abstained_right} of them abstained")


def main() -> None:
    if "--real" in sys.argv:
        real()
        return
    with LABELLED.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    start = time.perf_counter()
    default_classifier()
    fit_s = time.perf_counter() - start
    results = classify_many([r["text"] for r in rows], top=3)
    industries = load_industries()
    top1 = top3 = 0
    per_section: dict[str, list[int]] = {}
    conf: list[float] = []
    correct: list[bool] = []
    errors = []
    for row, result in zip(rows, results):
        codes = [c.code for c in result.candidates]
        hit1 = bool(codes) and codes[0] == row["code"]
        hit3 = row["code"] in codes
        top1 += hit1
        top3 += hit3
        section = industries.section_of(row["code"]).code
        per_section.setdefault(section, [0, 0, 0])
        per_section[section][0] += 1
        per_section[section][1] += hit1
        per_section[section][2] += hit3
        conf.append(result.candidates[0].confidence if result.candidates else 0.0)
        correct.append(hit1)
        if not hit1:
            errors.append((row["text"], row["code"], [(c.code, c.confidence, c.evidence) for c in result.candidates]))
    n = len(rows)
    print(f"labelled set: {n} texts, {len(per_section)} 门类; knowledge fit {fit_s:.2f} s")
    print(f"top-1 accuracy {top1 / n:.3f} ({top1}/{n}); top-3 accuracy {top3 / n:.3f} ({top3}/{n})")
    print("per 门类 (n, top-1, top-3): " + ", ".join(
        f"{s} {v[0]}/{v[1]}/{v[2]}" for s, v in sorted(per_section.items())
    ))
    c = np.array(conf)
    y = np.array(correct, dtype=float)
    print(f"calibration of the top-1 confidence: Brier {np.mean((c - y) ** 2):.3f}; mean confidence "
          f"{c.mean():.3f} vs top-1 accuracy {y.mean():.3f}")
    print("reliability (confidence bucket: n, mean confidence, share correct):")
    for lo, hi in [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]:
        mask = (c >= lo) & (c < hi)
        if mask.any():
            print(f"  [{lo:.1f}, {min(hi, 1.0):.1f}): {mask.sum():3d}, {c[mask].mean():.3f}, {y[mask].mean():.3f}")
    if "--errors" in sys.argv:
        for text, code, got in errors:
            print(f"  {text} → expected {code}, got {got}")


if __name__ == "__main__":
    main()
