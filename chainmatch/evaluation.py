"""Evaluation: hide known supplier → buyer links, rank buyers for each supplier, and measure against baselines.

Metrics per hidden link (filtered setting: the supplier's other known buyers are removed from the
ranking, the hidden one is kept): Hit@10, NDCG@10, MRR and Recall@50, averaged over links, with
bootstrap 95% intervals over links. Every method ranks all firms; ties (and firms a method does not
score) are broken by popularity, then by id, so every method is judged on a full ranking.

Methods, all computed in the same run on the same hidden links:

``chainmatch``
    the ranking of :func:`chainmatch.ranking.recommend` (default weights unless given).
``popularity``
    firms with the most known buyers-of relations (in-degree in the trade graph) first.
``same_industry``
    firms sharing the supplier's industry (deepest shared GB/T prefix first), then popularity.
``adamic_adar``
    Adamic–Adar index on the undirected trade graph.
``io_links``
    chainmatch's candidates scored by the input-output link alone.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from chainmatch.errors import DataError
from chainmatch.index import MatchIndex, build_index
from chainmatch.ranking import FEATURES, RERANK, _default_vector, _text_match, candidate_features, source_of
from chainmatch.store import Store

__all__ = [
    "Interval",
    "MethodResult",
    "Report",
    "evaluate_ickg",
    "evaluate_index",
    "evaluate_store",
    "format_report",
    "ickg_index",
]

METRICS = ("hit@10", "ndcg@10", "mrr", "recall@50")


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class MethodResult:
    method: str
    metrics: dict[str, Interval]


@dataclass
class Report:
    dataset: str
    queries: int
    firms: int
    methods: list[MethodResult]
    notes: list[str] = field(default_factory=list)


Scorer = Callable[[MatchIndex, int], NDArray[np.float64]]


def _chainmatch_scores(weights: NDArray[np.float64]) -> Scorer:
    def score(index: MatchIndex, s: int) -> NDArray[np.float64]:
        out = np.full(index.n, -np.inf)
        src = source_of(index, s)
        firms, X, _ = candidate_features(index, src, "buyers", exclude_known=False)
        if len(firms):
            scores = X @ weights
            head = np.argsort(-scores, kind="stable")[:RERANK]
            tm = FEATURES.index("text_match")
            for r in head.tolist():
                X[r, tm] = _text_match(index, src, int(firms[r]), "buyers")
            scores[head] = X[head] @ weights
            out[firms] = scores
        return out

    return score


def _io_only(index: MatchIndex, s: int) -> NDArray[np.float64]:
    w = np.zeros(len(FEATURES))
    w[FEATURES.index("link_io")] = 1.0
    out = np.full(index.n, -np.inf)
    firms, X, _ = candidate_features(index, s, "buyers", exclude_known=False)
    if len(firms):
        scored = X @ w
        keep = scored > 0
        out[firms[keep]] = scored[keep]
    return out


def _popularity(index: MatchIndex, s: int) -> NDArray[np.float64]:
    return np.zeros(index.n)  # everything ties: the popularity tie-break decides


def _same_industry(index: MatchIndex, s: int) -> NDArray[np.float64]:
    out = np.zeros(index.n)
    for code in index.codes[s]:
        for depth, prefix in enumerate(_prefixes(code), 1):
            firms = index.firms_under(prefix)
            out[firms] = np.maximum(out[firms], depth)
    return out


def _prefixes(code: str) -> list[str]:
    from chainmatch.index import code_prefixes

    return code_prefixes(code)


def _adamic_adar(index: MatchIndex, s: int) -> NDArray[np.float64]:
    out = np.zeros(index.n)
    neigh = np.unique(np.concatenate([index.trade_out[s], index.trade_in[s]]))
    for z in neigh.tolist():
        nz = np.unique(np.concatenate([index.trade_out[z], index.trade_in[z]]))
        if len(nz) > 1:
            out[nz] += 1.0 / np.log(len(nz))
    return out


def _rank_of(scores: NDArray[np.float64], target: int, excluded: NDArray[np.int_], popularity: NDArray[np.float64]) -> int:
    """1-based rank of ``target`` among all firms not excluded, ties broken by popularity then position."""
    keep = np.ones(len(scores), dtype=np.bool_)
    keep[excluded] = False
    keep[target] = True
    st, pt = scores[target], popularity[target]
    better = (scores > st) | ((scores == st) & (popularity > pt))
    better |= (scores == st) & (popularity == pt) & (np.arange(len(scores)) < target)
    return int(np.sum(better & keep)) + 1


def _metrics(ranks: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    return {
        "hit@10": (ranks <= 10).astype(float),
        "ndcg@10": np.where(ranks <= 10, 1.0 / np.log2(ranks + 1.0), 0.0),
        "mrr": 1.0 / ranks,
        "recall@50": (ranks <= 50).astype(float),
    }


def evaluate_index(
    index: MatchIndex, hidden: list[tuple[int, int]], true_buyers: dict[int, set[int]], *, dataset: str,
    bootstrap: int = 1000, seed: int = 0, weights: NDArray[np.float64] | None = None,
) -> Report:
    """Rank buyers for the supplier of every hidden link on ``index`` (from which the links are hidden)."""
    if not hidden:
        raise DataError(f"{dataset}: no supplier → buyer link to evaluate; the data needs known trades (SUPPLIES).")
    popularity = np.array([len(x) for x in index.trade_in], dtype=np.float64)
    methods: dict[str, Scorer] = {
        "chainmatch": _chainmatch_scores(weights if weights is not None else _default_vector()),
        "popularity": _popularity,
        "same_industry": _same_industry,
        "adamic_adar": _adamic_adar,
        "io_links": _io_only,
    }
    ranks: dict[str, list[float]] = {m: [] for m in methods}
    by_source: dict[int, list[int]] = defaultdict(list)
    for s, b in hidden:
        by_source[s].append(b)
    for s, targets in by_source.items():
        for name, scorer in methods.items():
            scores = scorer(index, s)
            for b in targets:
                excluded = np.array(sorted((true_buyers.get(s, set()) - {b}) | {s}), dtype=np.int_)
                ranks[name].append(_rank_of(scores, b, excluded, popularity))
    rng = np.random.default_rng(seed)
    n = len(hidden)
    samples = rng.integers(0, n, size=(bootstrap, n)) if bootstrap else None
    results = []
    for name in methods:
        per = _metrics(np.array(ranks[name], dtype=np.float64))
        metrics = {}
        for metric, values in per.items():
            if samples is not None:
                boots = values[samples].mean(axis=1)
                low, high = np.percentile(boots, [2.5, 97.5])
            else:
                low = high = values.mean()
            metrics[metric] = Interval(round(float(values.mean()), 4), round(float(low), 4), round(float(high), 4))
        results.append(MethodResult(name, metrics))
    return Report(dataset, n, index.n, results)


def evaluate_store(store: Store, *, hide: float = 0.2, seed: int = 0, bootstrap: int = 1000) -> Report:
    """Hide a share of the store's known trades, rank, and measure (the demo data or a zone's own)."""
    if not 0 < hide < 1:
        raise DataError(f"hide has value {hide}. It must be a share between 0 and 1, e.g. 0.2.")
    index = build_index(store)
    pairs = [(s, int(b)) for s in range(index.n) for b in index.trade_out[s].tolist()]
    true_buyers: dict[int, set[int]] = defaultdict(set)
    for s, b in pairs:
        true_buyers[s].add(b)
    rng = random.Random(seed)
    hidden = sorted(rng.sample(pairs, max(1, int(len(pairs) * hide)))) if pairs else []
    report = evaluate_index(index.without_trades(hidden), hidden, true_buyers,
                            dataset=f"{store.location} ({hide:.0%} of {len(pairs)} trades hidden, seed {seed})",
                            bootstrap=bootstrap, seed=seed)
    return report


# -- ICKG (a development benchmark read from outside the repository, never shipped) -----------


def ickg_index(path: Path) -> tuple[MatchIndex, list[tuple[int, int]], dict[int, set[int]]]:
    """Build a match index from an ICKG quadruples file's ``train`` split; return it with the ``valid`` links.

    Firms are the entities of firm relations; their industries are the ICKG industries they operate in,
    each also classified into GB/T 4754 where the classifier is confident; ``upstream_of`` (train) gives
    industry → industry links; ``supplies`` (train) gives the known trades.
    """
    from chainmatch.classify import classify_many
    from chainmatch.index import CLASSIFY_MIN_CONFIDENCE

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as e:
        raise DataError(f"Cannot read the ICKG file {path}: {e.strerror}. Give the path to ickg_subset_quadruples.csv.") from e
    need = {"head", "relation", "tail", "split"}
    if not rows or not need <= set(rows[0]):
        raise DataError(f"{path} is not an ICKG quadruples file: it needs the columns {', '.join(sorted(need))}.")
    industry_rel = {"operates_in_industry", "belongs_to_industry"}
    industries = {r["tail"] for r in rows if r["relation"] in industry_rel}
    industries |= {r[k] for r in rows if r["relation"] == "upstream_of" for k in ("head", "tail")}
    firm_rel = {"supplies", "cooperates", "competes_with", "acquires", "joint_venture", "invests_in",
                "parent_or_controls"}
    firms = {r[k] for r in rows if r["relation"] in firm_rel for k in ("head", "tail")}
    firms |= {r["head"] for r in rows if r["relation"] in industry_rel}
    firms -= industries
    ids = sorted(firms)
    pos = {f: i for i, f in enumerate(ids)}
    n = len(ids)
    codes: list[list[str]] = [[] for _ in range(n)]
    basis: list[dict[str, str]] = [{} for _ in range(n)]
    ind_list = sorted(industries)
    gbt = {}
    for name, result in zip(ind_list, classify_many(ind_list, top=1)):
        if result.best and result.best.confidence >= CLASSIFY_MIN_CONFIDENCE:
            gbt[name] = result.best.code
    for r in rows:
        if r["split"] != "train" or r["relation"] not in industry_rel or r["head"] not in pos:
            continue
        i, label = pos[r["head"]], f"ickg:{r['tail']}"
        for code in (label, gbt.get(r["tail"])):
            if code and code not in basis[i]:
                codes[i].append(code)
                basis[i][code] = r["tail"]
    out_l: list[list[int]] = [[] for _ in range(n)]
    in_l: list[list[int]] = [[] for _ in range(n)]
    hidden, true_buyers = [], defaultdict(set)
    for r in rows:
        if r["relation"] != "supplies" or r["head"] not in pos or r["tail"] not in pos:
            continue
        s, b = pos[r["head"]], pos[r["tail"]]
        true_buyers[s].add(b)
        if r["split"] == "train":
            out_l[s].append(b)
            in_l[b].append(s)
        elif r["split"] == "valid":
            hidden.append((s, b))
    extra: dict[str, dict[str, list[tuple[str, float, str, str]]]] = {"buyers": defaultdict(list), "suppliers": defaultdict(list)}
    for r in rows:
        if r["relation"] == "upstream_of" and r["split"] == "train":
            up, down = f"ickg:{r['head']}", f"ickg:{r['tail']}"
            evidence = f"ICKG 上游于: {r['head']} → {r['tail']}"
            extra["buyers"][up].append((down, 0.8, "template", evidence))
            extra["suppliers"][down].append((up, 0.8, "template", evidence))
    prefix_lists: dict[str, list[int]] = defaultdict(list)
    for i, cs in enumerate(codes):
        seen: set[str] = set()
        for c in cs:
            for p in ([c] if c.startswith("ickg:") else _prefixes(c)):
                if p not in seen:
                    seen.add(p)
                    prefix_lists[p].append(i)
    popularity = np.array([len(x) for x in in_l], dtype=np.float32)
    by_prefix = {}
    for k, v in prefix_lists.items():
        arr = np.array(v, dtype=np.int32)
        by_prefix[k] = arr[np.argsort(-popularity[arr], kind="stable")]
    empty = np.zeros(0, dtype=np.int32)
    index = MatchIndex(
        ids=ids, names=ids, short_names=[""] * n, zone=np.full(n, -1, dtype=np.int32), zone_ids=[], zone_names=[],
        grid=np.full(n, -1, dtype=np.int32), grid_ids=[], grid_names=[], output=np.full(n, np.nan, dtype=np.float32),
        above_scale=np.zeros(n, dtype=np.bool_), leader=np.zeros(n, dtype=np.bool_),
        committee=np.full(n, -1, dtype=np.int32), has_party=np.zeros(n, dtype=np.bool_), party_names=[],
        codes=[tuple(c) for c in codes], code_basis=basis, products=[tuple(b.values()) for b in basis],
        segments=[()] * n, segment_info=[], chain_ids=[], chain_names=[], segment_supplies={}, segment_firms=[],
        by_prefix=by_prefix, trade_out=[np.array(x, dtype=np.int32) if x else empty for x in out_l],
        trade_in=[np.array(x, dtype=np.int32) if x else empty for x in in_l], needs={}, supply_needs_by_prefix={},
        grid_chiefs={}, pos=pos, extra_links={k: dict(v) for k, v in extra.items()},
    )
    return index, hidden, dict(true_buyers)


def evaluate_ickg(path: Path, *, seed: int = 0, bootstrap: int = 1000) -> Report:
    """Evaluate on an ICKG file: the graph from ``train``, the hidden links from ``valid``."""
    index, hidden, true_buyers = ickg_index(path)
    report = evaluate_index(index, hidden, true_buyers, dataset=f"ICKG {path.name} (train → valid supplies)",
                            bootstrap=bootstrap, seed=seed)
    report.notes.append("ICKG is read from outside the repository for measurement only; nothing of it is shipped.")
    return report


def format_report(report: Report) -> str:
    lines = [f"评估 / evaluation: {report.dataset}", f"{report.queries} hidden links, {report.firms} candidate firms",
             f"{'method':<15}" + "".join(f"{m:>24}" for m in METRICS)]
    for r in report.methods:
        cells = "".join(f"{r.metrics[m].value:>8.3f} [{r.metrics[m].low:.3f}, {r.metrics[m].high:.3f}]" for m in METRICS)
        lines.append(f"{r.method:<15}{cells}")
    lines += report.notes
    return "\n".join(lines) + "\n"
