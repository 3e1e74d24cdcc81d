"""Outcomes: what matchmaking projects taught, turned into training data for the ranking model.

A project between a supplier and a buyer that ended ``signed`` is a positive example; one that
ended ``declined`` or ``dropped`` (no answer) is a negative one; open projects teach nothing yet.
Features are computed from the supplier's side, as a ``buyers`` recommendation would see the buyer,
and the model compares signed with unsuccessful buyers of the same supplier.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from chainmatch.errors import DataError
from chainmatch.matching.index import MatchIndex
from chainmatch.matching.ranking import FEATURES, RankingModel, feature_matrix, save_model
from chainmatch.stores.base import Store

__all__ = ["MIN_OUTCOMES", "MIN_PER_CLASS", "Outcomes", "TrainResult", "collect_outcomes", "fit_on_pairs", "train"]

POSITIVE = frozenset({"signed"})
NEGATIVE = frozenset({"declined", "dropped"})
MIN_OUTCOMES = 20
"""Closed projects needed before a model replaces the default weights."""
MIN_PER_CLASS = 5
"""Signed and unsuccessful projects needed each."""


@dataclass(frozen=True)
class Outcomes:
    pairs: list[tuple[int, int]]
    """(supplier position, buyer position) in the index."""
    labels: NDArray[np.int_]
    projects: list[str]
    statuses: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    """Closed projects that lack a supplier or buyer known to the index."""


@dataclass(frozen=True)
class TrainResult:
    trained: bool
    message: str
    summary: dict[str, object]
    model: RankingModel | None = None


def collect_outcomes(store: Store, index: MatchIndex) -> Outcomes:
    """Every closed supplier–buyer project in the store, labelled 1 (signed) or 0 (declined, dropped)."""
    status = {n.id: str(n.props.get("status", "")) for n in store.scan("Project")}
    parties: dict[str, dict[str, list[str]]] = {}
    for r in store.scan_rels("PARTY_TO"):
        role = str(r.props.get("role", ""))
        parties.setdefault(r.dst, {}).setdefault(role, []).append(r.src)
    pairs, labels, projects = [], [], []
    skipped = 0
    counts = Counter(status.values())
    for project, st in sorted(status.items()):
        if st not in POSITIVE and st not in NEGATIVE:
            continue
        roles = parties.get(project, {})
        suppliers = [index.pos[e] for e in roles.get("supplier", []) if e in index.pos]
        buyers = [index.pos[e] for e in roles.get("buyer", []) if e in index.pos]
        if not suppliers or not buyers:
            skipped += 1
            continue
        for s in suppliers:
            for b in buyers:
                pairs.append((s, b))
                labels.append(1 if st in POSITIVE else 0)
                projects.append(project)
    return Outcomes(pairs, np.array(labels, dtype=np.int_), projects, dict(counts), skipped)


def train(store: Store, index: MatchIndex, model_path: Path) -> TrainResult:
    """Fit the ranking model on the store's project outcomes and save it, when there are enough of them.

    With fewer than :data:`MIN_OUTCOMES` closed projects, or fewer than :data:`MIN_PER_CLASS` of
    either kind, nothing is saved and the service keeps (or returns to) the default weights.
    """
    outcomes = collect_outcomes(store, index)
    n, pos = len(outcomes.labels), int(outcomes.labels.sum()) if len(outcomes.labels) else 0
    summary: dict[str, object] = {
        "closed_pairs": n, "signed": pos, "declined_or_dropped": n - pos,
        "project_statuses": outcomes.statuses, "skipped_projects": outcomes.skipped,
    }
    if n < MIN_OUTCOMES or pos < MIN_PER_CLASS or n - pos < MIN_PER_CLASS:
        if model_path.exists():
            model_path.unlink()
        return TrainResult(
            False,
            f"Only {n} closed projects ({pos} signed, {n - pos} declined or dropped): at least {MIN_OUTCOMES}, with "
            f"{MIN_PER_CLASS} of each, are needed. Ranking uses the default weights until then.",
            summary,
        )
    # Features as they stood before the outcomes: a trade a signed deal created is not evidence for that deal
    # (in the demo 36 of 37 signed pairs became trades, none of the declined ones did).
    X = feature_matrix(index.without_trades(outcomes.pairs), outcomes.pairs, "buyers")
    groups = np.array([s for s, _ in outcomes.pairs], dtype=np.int_)
    try:
        model = RankingModel().fit(X, outcomes.labels, groups)
    except DataError as e:
        return TrainResult(False, f"{e} Ranking keeps the default weights.", summary)
    summary["comparisons"] = model.n_pairs_
    summary["learned_adjustment"] = {
        f: round(float(w), 4) for f, w in zip(FEATURES, model.coef_raw_) if abs(w) > 1e-9
    }
    save_model(model, model_path, summary=summary)
    return TrainResult(
        True, f"Trained on {n} closed projects ({pos} signed); saved to {model_path}.", summary, model
    )


NEGATIVES_PER_SUPPLIER = 100
"""Candidates compared with a supplier's true buyers when learning from known pairs (half the best-scored, half
drawn at random from the rest)."""


def fit_on_pairs(
    index: MatchIndex, pairs: list[tuple[int, int]], *, seed: int = 0, C: float = 0.1,
) -> RankingModel:
    """Learn ranking weights from known supplier → buyer pairs (real supervision: ICKG train, a train part of a
    register's pairs): within each supplier, its true buyers against the other candidates the scorer brings.

    ``index`` must not hold the pairs as trades (their trade features would be leakage).
    """
    from chainmatch.matching.ranking import score_candidates

    rng = np.random.default_rng(seed)
    by_source: dict[int, set[int]] = {}
    for s, b in pairs:
        by_source.setdefault(s, set()).add(b)
    blocks, labels, groups = [], [], []
    for s, buyers in sorted(by_source.items()):
        wanted = np.array(sorted(buyers), dtype=np.int32)
        firms, _, X, _ = score_candidates(index, s, "buyers", exclude_known=False)
        missing = np.setdiff1d(wanted, firms)
        if len(missing):
            X = np.vstack([X, feature_matrix(index, [(s, int(b)) for b in missing], "buyers")])
            firms = np.concatenate([firms, missing])
        positive = np.isin(firms, wanted)
        rest = np.flatnonzero(~positive)
        half = NEGATIVES_PER_SUPPLIER // 2
        drawn = rng.choice(rest[half:], min(half, max(len(rest) - half, 0)), replace=False) if len(rest) > half \
            else np.zeros(0, dtype=np.int_)
        rows = np.concatenate([np.flatnonzero(positive), rest[:half], drawn])
        blocks.append(X[rows])
        labels.append(positive[rows].astype(np.int_))
        groups.append(np.full(len(rows), s, dtype=np.int_))
    if not blocks:
        raise DataError("No known supplier → buyer pair to learn from.")
    return RankingModel(C=C).fit(np.concatenate(blocks), np.concatenate(labels), np.concatenate(groups))
