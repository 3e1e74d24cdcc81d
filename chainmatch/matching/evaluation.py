"""Evaluation: rank buyers for suppliers whose true buyers are known, and measure against baselines in the same run.

Three kinds of ground truth, one measurement:

- a store's own known trades, a share of them hidden (:func:`evaluate_store`);
- a register with known supplier → buyer pairs (:func:`evaluate_register`: a data folder and a pairs CSV,
  or the ChainKG development files as they are, :func:`evaluate_chainkg`);
- ICKG's chronological train → valid split of observed supplies (:func:`evaluate_ickg`).

Metrics (filtered setting: a supplier's other true buyers are removed before a buyer's rank is taken):
Hit@10, NDCG@10, MRR and Recall@50 per supplier → buyer pair; any-hit@10 per supplier (a true buyer
in its top 10); the share of suppliers whose top 10 all have one score (the order was a tie-break);
how many distinct firms fill all top-10 lists and the largest share of lists one firm appears in (hubs).
Bootstrap 95% intervals resample pairs (per-pair metrics) or suppliers (per-supplier ones).

Every method ranks every firm; firms a method does not score come after those it does, by popularity,
then by position. Methods, all on the same queries:

``chainmatch``
    the production scorer, :func:`chainmatch.matching.ranking.score_candidates`, in its own order (default weights,
    or the weights given: a trained model is evaluated beside the defaults).
``popularity``
    firms with the most known suppliers first (with no trades known: the most products).
``same_industry``
    firms sharing the supplier's industry: the dataset's own labels where it has them (ChainKG: SW-2021 L2),
    else the deepest shared GB/T prefix.
``tfidf``
    TF-IDF cosine of character 2–3-grams over each firm's product names joined into one document
    (the common text baseline).
``text_measure``
    chainmatch's own text measure alone (:mod:`chainmatch.knowledge.text`), as an ablation.
``product_chains``
    the shipped product chains alone (``product_link``), as an ablation.
``io_links``
    chainmatch's candidates scored by the input-output link alone.
``trade_neighbourhood``
    chainmatch's trade-neighbourhood feature alone (only where trades are known).
"""

from __future__ import annotations

import csv
import random
import tempfile
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from chainmatch.errors import DataError
from chainmatch.matching.index import MatchIndex, build_index, code_prefixes
from chainmatch.matching.ranking import (
    FEATURES,
    RankingModel,
    _default_vector,
    candidate_features,
    score_candidates,
)
from chainmatch.stores.base import Store

__all__ = [
    "Benchmark",
    "ClassificationReport",
    "Interval",
    "MethodResult",
    "Report",
    "chainkg_benchmark",
    "classification_on_strings",
    "concordance_agreement",
    "evaluate",
    "evaluate_chainkg",
    "evaluate_ickg",
    "evaluate_register",
    "evaluate_store",
    "format_report",
    "ickg_benchmark",
    "ickg_index",
    "register_benchmark",
    "train_on",
]

PAIR_METRICS = ("hit@10", "ndcg@10", "mrr", "recall@50")
QUERY_METRICS = ("any-hit@10",)
METRICS = (*PAIR_METRICS, *QUERY_METRICS)


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class MethodResult:
    method: str
    metrics: dict[str, Interval]
    tied_top10: float = 0.0
    """Share of queries whose whole top 10 has one score."""
    distinct_top10: int = 0
    """Distinct firms across all top-10 lists."""
    max_top10_share: float = 0.0
    """The largest share of top-10 lists one firm appears in."""


@dataclass
class Report:
    dataset: str
    queries: int
    firms: int
    methods: list[MethodResult]
    notes: list[str] = field(default_factory=list)
    pairs: int = 0


@dataclass
class Benchmark:
    """What an evaluation needs: an index (hidden pairs not in it), the pairs to measure and every true buyer."""

    name: str
    index: MatchIndex
    hidden: list[tuple[int, int]]
    true_buyers: dict[int, set[int]]
    industry: list[str] | None = None
    """The dataset's own industry label per firm (for the same-industry baseline), or None: GB/T codes."""
    notes: list[str] = field(default_factory=list)
    train: list[tuple[int, int]] = field(default_factory=list)
    """Known pairs a model may learn from (never the measured ones)."""


Scorer = Callable[[Benchmark, int], NDArray[np.float64]]
OwnOrder = Callable[[Benchmark, int], tuple[NDArray[np.float64], NDArray[np.float64]]]
"""A method with its own order: scores that keep it, and the real scores of its top 10 (for ties)."""


def _ordered(scores: NDArray[np.float64], firms: NDArray[np.int32], n: int) -> NDArray[np.float64]:
    """Scores that keep a method's own order of ``firms`` (best first) and put every other firm after them."""
    out = np.full(n, -np.inf)
    out[firms] = np.arange(len(firms), 0, -1, dtype=np.float64)
    return out


def chainmatch_scorer(weights: NDArray[np.float64] | None = None) -> OwnOrder:
    """The production scorer as an evaluation method."""
    w = weights if weights is not None else _default_vector()

    def score(bench: Benchmark, s: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        firms, scores, _, _ = score_candidates(bench.index, s, "buyers", weights=w, exclude_known=False)
        return _ordered(scores, firms, bench.index.n), scores[:10]

    return score


def _feature_alone(name: str) -> Scorer:
    col = FEATURES.index(name)

    def score(bench: Benchmark, s: int) -> NDArray[np.float64]:
        out = np.full(bench.index.n, -np.inf)
        firms, X, _ = candidate_features(bench.index, s, "buyers", exclude_known=False)
        keep = X[:, col] > 0
        out[firms[keep]] = X[keep, col]
        return out

    return score


def _popularity(bench: Benchmark, s: int) -> NDArray[np.float64]:
    return np.zeros(bench.index.n)  # everything ties: the popularity tie-break decides


def _same_industry(bench: Benchmark, s: int) -> NDArray[np.float64]:
    index = bench.index
    out = np.zeros(index.n)
    if bench.industry is not None:
        labels = np.array(bench.industry, dtype=object)
        if bench.industry[s]:
            out[labels == bench.industry[s]] = 1.0
        return out
    for code in index.codes[s]:
        for depth, prefix in enumerate(code_prefixes(code), 1):
            firms = index.firms_under(prefix)
            out[firms] = np.maximum(out[firms], depth)
    return out


def _tfidf() -> Scorer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    memo: dict[int, object] = {}

    def score(bench: Benchmark, s: int) -> NDArray[np.float64]:
        key = id(bench.index)
        if key not in memo:
            docs = [" ".join(ps) for ps in bench.index.products]
            memo.clear()
            memo[key] = TfidfVectorizer(analyzer="char", ngram_range=(2, 3)).fit_transform(docs)
        V = memo[key]
        return np.asarray((V[s] @ V.T).todense()).ravel()  # type: ignore[index, attr-defined]

    return score


def _text_measure(bench: Benchmark, s: int) -> NDArray[np.float64]:
    text = bench.index.text
    return text.firm_similarity(text.firm_vector(s), np.arange(bench.index.n, dtype=np.int32))


def _adamic_adar(bench: Benchmark, s: int) -> NDArray[np.float64]:
    index = bench.index
    out = np.zeros(index.n)
    neigh = np.unique(np.concatenate([index.trade_out[s], index.trade_in[s]]))
    for z in neigh.tolist():
        nz = np.unique(np.concatenate([index.trade_out[z], index.trade_in[z]]))
        if len(nz) > 1:
            out[nz] += 1.0 / np.log(len(nz))
    return out


def _ranks(scores: NDArray[np.float64], popularity: NDArray[np.float64], s: int) -> NDArray[np.int64]:
    """0-based position of every firm in the ranking of supplier ``s`` (score, then popularity, then position)."""
    scores = scores.copy()
    scores[s] = -np.inf
    order = np.lexsort((np.arange(len(scores)), -popularity, -scores))
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    ranks[s] = len(scores)  # the supplier itself is never a candidate
    return ranks


def _metrics(ranks: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    return {
        "hit@10": (ranks <= 10).astype(float),
        "ndcg@10": np.where(ranks <= 10, 1.0 / np.log2(ranks + 1.0), 0.0),
        "mrr": 1.0 / ranks,
        "recall@50": (ranks <= 50).astype(float),
    }


def _interval(values: NDArray[np.float64], samples: NDArray[np.int_] | None) -> Interval:
    if samples is not None and len(values):
        low, high = np.percentile(values[samples].mean(axis=1), [2.5, 97.5])
    else:
        low = high = values.mean() if len(values) else 0.0
    mean = float(values.mean()) if len(values) else 0.0
    return Interval(round(mean, 4), round(float(low), 4), round(float(high), 4))


def evaluate(bench: Benchmark, *, bootstrap: int = 1000, seed: int = 0,
             trained: NDArray[np.float64] | None = None) -> Report:
    """Rank buyers for every supplier of ``bench.hidden`` with chainmatch and the baselines; measure them all."""
    if not bench.hidden:
        raise DataError(f"{bench.name}: no supplier → buyer link to evaluate; the data needs known trades (SUPPLIES).")
    index = bench.index
    trades_known = any(len(x) for x in index.trade_in)
    popularity = (np.array([len(x) for x in index.trade_in], dtype=np.float64) if trades_known
                  else np.array([len(x) for x in index.products], dtype=np.float64))
    methods: dict[str, Scorer | OwnOrder] = {"chainmatch": chainmatch_scorer()}
    if trained is not None:
        methods["chainmatch (trained)"] = chainmatch_scorer(trained)
    methods.update({"popularity": _popularity, "same_industry": _same_industry, "tfidf": _tfidf(),
                    "text_measure": _text_measure, "product_chains": _feature_alone("product_link"),
                    "io_links": _feature_alone("link_io")})
    if trades_known:
        methods["trade_neighbourhood"] = _feature_alone("trade_neighbourhood")
        methods["adamic_adar"] = _adamic_adar
    by_source: dict[int, list[int]] = defaultdict(list)
    for s, b in bench.hidden:
        by_source[s].append(b)
    sources = sorted(by_source)
    pair_ranks: dict[str, list[float]] = {m: [] for m in methods}
    any_hit: dict[str, list[float]] = {m: [] for m in methods}
    tied: dict[str, int] = Counter()
    tops: dict[str, Counter[int]] = {m: Counter() for m in methods}
    for s in sources:
        targets = by_source[s]
        known = bench.true_buyers.get(s, set())
        for name, scorer in methods.items():
            answer = scorer(bench, s)
            own_top: NDArray[np.float64] | None = None
            if isinstance(answer, tuple):  # chainmatch: its order, and the real scores of its top 10
                answer, own_top = answer
            ranks = _ranks(answer, popularity, s)
            others = np.array(sorted(known - set(targets)), dtype=np.int64)
            # Filtered: the supplier's other true buyers do not count against a hidden one.
            blocked = np.sort(ranks[others]) if len(others) else np.zeros(0, dtype=np.int64)
            hidden_ranks = np.sort(ranks[np.array(targets, dtype=np.int64)])
            for k, r in enumerate(hidden_ranks.tolist()):
                pair_ranks[name].append(r - int(np.searchsorted(blocked, r)) - k + 1)
            shown = np.argsort(ranks)[:10]
            any_hit[name].append(float(hidden_ranks[0] - np.searchsorted(blocked, hidden_ranks[0]) < 10))
            top_scores = own_top if own_top is not None else answer[shown]
            if len(top_scores) >= 10 and np.all(top_scores == top_scores[0]):
                tied[name] += 1
            tops[name].update(shown.tolist())
    rng = np.random.default_rng(seed)
    n_pairs, n_queries = len(pair_ranks["chainmatch"]), len(sources)
    pair_samples = rng.integers(0, n_pairs, size=(bootstrap, n_pairs)) if bootstrap else None
    query_samples = rng.integers(0, n_queries, size=(bootstrap, n_queries)) if bootstrap else None
    results = []
    for name in methods:
        per = _metrics(np.array(pair_ranks[name], dtype=np.float64))
        metrics = {m: _interval(v, pair_samples) for m, v in per.items()}
        metrics["any-hit@10"] = _interval(np.array(any_hit[name]), query_samples)
        results.append(MethodResult(
            name, metrics, round(tied[name] / n_queries, 4), len(tops[name]),
            round(max(tops[name].values()) / n_queries, 4) if tops[name] else 0.0,
        ))
    return Report(bench.name, n_queries, index.n, results, list(bench.notes), n_pairs)


def evaluate_store(store: Store, *, hide: float = 0.2, seed: int = 0, bootstrap: int = 1000,
                   trained: NDArray[np.float64] | None = None) -> Report:
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
    bench = Benchmark(f"{store.location} ({hide:.0%} of {len(pairs)} trades hidden, seed {seed})",
                      index.without_trades(hidden), hidden, dict(true_buyers))
    return evaluate(bench, bootstrap=bootstrap, seed=seed, trained=trained)


# -- a register with known pairs (a zone's own data folder, or ChainKG's files as they are) ---------


def _load_folder_index(folder: Path) -> MatchIndex:
    """Load a data folder into a throw-away embedded store with the production loader, and index it."""
    from chainmatch.knowledge.classify import ranked_candidates
    from chainmatch.loader import load_folder
    from chainmatch.stores.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory(prefix="chainmatch-eval-") as tmp:
        store = SQLiteStore.open(Path(tmp) / "eval.db")
        try:
            load_folder(store, folder, classify=ranked_candidates)
            return build_index(store)
        finally:
            store.close()


def _read_pairs(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as e:
        raise DataError(f"Cannot read the pairs file {path}: {e.strerror}.") from e
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 (byte {e.start}): save it as UTF-8 CSV.") from e
    if not rows or not {"supplier_id", "buyer_id"} <= set(rows[0]):
        raise DataError(f"{path} needs a header with the columns supplier_id and buyer_id (and optionally split: "
                        "train pairs become known trades, the others are measured).")
    return rows


def register_benchmark(folder: Path, pairs_path: Path) -> Benchmark:
    """A data folder (the format of ``chainmatch load``) and a pairs CSV ``supplier_id,buyer_id[,split]``.

    Pairs whose ``split`` is ``train`` are known trades; the rest are measured. Ids are the data folder's
    enterprise ids; a pair naming an unknown firm is an error (line and id).
    """
    rows = _read_pairs(pairs_path)
    index = _load_folder_index(folder)
    hidden: list[tuple[int, int]] = []
    train: list[tuple[int, int]] = []
    for line, r in enumerate(rows, 2):
        s, b = index.pos.get(r["supplier_id"].strip()), index.pos.get(r["buyer_id"].strip())
        if s is None or b is None:
            bad = r["supplier_id"] if s is None else r["buyer_id"]
            raise DataError(f"{pairs_path}, line {line}: no enterprise has the id '{bad}' in {folder}/enterprises.csv.")
        (train if (r.get("split") or "").strip() == "train" else hidden).append((s, b))
    true_buyers: dict[int, set[int]] = defaultdict(set)
    for s, b in [*train, *hidden]:
        true_buyers[s].add(b)
    if train:
        index = _with_trades(index, train)
    return Benchmark(f"{folder} + {pairs_path.name}", index, sorted(set(hidden)), dict(true_buyers),
                     train=sorted(set(train)))


def _with_trades(index: MatchIndex, pairs: list[tuple[int, int]]) -> MatchIndex:
    out = [list(x) for x in index.trade_out]
    inn = [list(x) for x in index.trade_in]
    for s, b in pairs:
        out[s].append(b)
        inn[b].append(s)
    full = index.without_trades([])
    full.trade_out = [np.array(x, dtype=np.int32) for x in out]
    full.trade_in = [np.array(x, dtype=np.int32) for x in inn]
    full.__post_init__()
    return full


_CHAINKG_NOTE = ("ChainKG is read from outside the repository for measurement only; nothing of it is shipped. "
                 "same_industry uses its SW-2021 L2 industries.")
CHAINKG_MAX_MAKERS = 15
"""ChainKG's usual query set: suppliers with a pair through a product at most this many firms make."""


def _clean(text: str) -> str:
    """A register cell as the loader takes it: control characters (a few real names hold U+007F) dropped, spaces
    collapsed, the list separators ; and ； replaced by a comma."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    return " ".join(text.split()).replace(";", "，").replace("；", "，")


def chainkg_benchmark(folder: Path, *, pairs: str = "pairs_dev.csv", part: str | None = None) -> Benchmark:
    """The ChainKG development files as they are: ``firms.csv``, ``company_product.csv`` and a pairs file.

    The register becomes a data folder (each firm's products, largest revenue share first, with their shares)
    loaded by the production loader; the queries are the suppliers with a pair of ``max_makers`` at most
    :data:`CHAINKG_MAX_MAKERS`, and each one's true buyers are all its pairs. The pairs are split in two by the
    supplier's product (as the held-back half was split from this one): ``part`` ``"train"`` or ``"test"``
    measures one half, None measures all; the train half is what a model may learn from. Read only from this
    evaluation; nothing of it is shipped (it has no licence).
    """
    def read(name: str) -> list[dict[str, str]]:
        try:
            with (folder / name).open(encoding="utf-8", newline="") as fh:
                return list(csv.DictReader(fh))
        except OSError as e:
            raise DataError(f"Cannot read {folder / name}: {e.strerror}. Give the chainkg_dev folder.") from e

    firms = {r["code"]: r for r in read("firms.csv")}
    products: dict[str, dict[str, float]] = defaultdict(dict)
    for r in read("company_product.csv"):
        name = _clean(r["product"])
        if name:
            weight = min(1.0, max(0.0, float(r["weight"] or 0)))  # a few reported shares exceed 1 (offsets)
            products[r["code"]][name] = max(weight, products[r["code"]].get(name, 0.0))
    with tempfile.TemporaryDirectory(prefix="chainmatch-chainkg-") as tmp:
        data = Path(tmp)
        with (data / "enterprises.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "name", "short_name", "products", "product_shares", "source"])
            for code in sorted(products):
                ranked = sorted(products[code].items(), key=lambda kv: -kv[1])
                f = firms.get(code, {})
                w.writerow([code, _clean(f.get("full_name") or f.get("short_name") or code), _clean(f.get("short_name", "")),
                            ";".join(p for p, _ in ranked), ";".join(f"{v:g}" for _, v in ranked), "ChainKG"])
        index = _load_folder_index(data)
    if part not in (None, "train", "test"):
        raise DataError(f"part has value '{part}'. It must be train or test (or absent: every pair).")
    truth: dict[int, set[int]] = defaultdict(set)
    halves: dict[str, set[tuple[int, int]]] = {"train": set(), "test": set()}
    queries: set[int] = set()
    for r in read(pairs):
        s, b = index.pos.get(r["supplier_code"]), index.pos.get(r["buyer_code"])
        if s is None or b is None or s == b:
            continue
        truth[s].add(b)
        product = (r.get("via_products") or "").split("|")[0].split("->")[0]
        halves["train" if zlib.crc32(product.encode("utf-8")) % 2 == 0 else "test"].add((s, b))
        if int(r.get("max_makers") or 0) <= CHAINKG_MAX_MAKERS:
            queries.add(s)
    measured = halves[part] if part else halves["train"] | halves["test"]
    hidden = sorted((s, b) for s, b in measured if s in queries)
    sw = [(firms.get(i, {}).get("sw_l3_code") or "")[:4] for i in index.ids]
    covered, coded, agree = concordance_agreement(
        Benchmark("", index, [], {}), {i: firms.get(i, {}).get("sw_l3_code") or "" for i in index.ids})
    agreement = (f"classification: {agree} of {covered} firms ({agree / covered:.1%}) have a main industry whose "
                 f"大类 the SW-2021 → GB/T concordance gives for their SW industry; {covered - coded} of them "
                 "got no code (abstained)") if covered else "classification: no firm has an SW industry"
    label = f", {part} half by supplier product" if part else ""
    return Benchmark(f"ChainKG {folder.name}/{pairs}{label} ({len({s for s, _ in hidden})} suppliers, firms with "
                     "products)", index, hidden, dict(truth), industry=sw, train=sorted(halves["train"]),
                     notes=[_CHAINKG_NOTE, agreement])


def evaluate_register(folder: Path, pairs_path: Path, *, bootstrap: int = 1000, seed: int = 0,
                      trained: NDArray[np.float64] | None = None) -> Report:
    """Evaluate on a data folder with a pairs CSV (see :func:`register_benchmark`)."""
    return evaluate(register_benchmark(folder, pairs_path), bootstrap=bootstrap, seed=seed, trained=trained)


def evaluate_chainkg(folder: Path, *, bootstrap: int = 1000, seed: int = 0,
                     trained: NDArray[np.float64] | None = None, part: str | None = None) -> Report:
    """Evaluate on the ChainKG development folder (see :func:`chainkg_benchmark`)."""
    return evaluate(chainkg_benchmark(folder, part=part), bootstrap=bootstrap, seed=seed, trained=trained)


# -- ICKG (a development benchmark read from outside the repository, never shipped) -----------


def ickg_index(path: Path) -> tuple[MatchIndex, list[tuple[int, int]], dict[int, set[int]]]:
    """Build a match index from an ICKG quadruples file's ``train`` split; return it with the ``valid`` links.

    Firms are the entities of firm relations; their industries are the ICKG industries they operate in,
    each also classified into GB/T 4754 where the classifier is confident; ``upstream_of`` (train) gives
    industry → industry links; ``supplies`` (train) gives the known trades.
    """
    from chainmatch.knowledge.classify import classify_many
    from chainmatch.matching.index import CLASSIFY_MIN_CONFIDENCE

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
            for p in ([c] if c.startswith("ickg:") else code_prefixes(c)):
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


def ickg_benchmark(path: Path) -> Benchmark:
    """An ICKG file as a benchmark: train supplies known (and learnt from), valid supplies measured."""
    index, hidden, true_buyers = ickg_index(path)
    train = sorted((s, int(b)) for s in range(index.n) for b in index.trade_out[s].tolist())
    return Benchmark(f"ICKG {path.name} (train → valid supplies)", index, hidden, true_buyers, train=train,
                     notes=["ICKG is read from outside the repository for measurement only; nothing of it is shipped."])


def evaluate_ickg(path: Path, *, seed: int = 0, bootstrap: int = 1000,
                  trained: NDArray[np.float64] | None = None) -> Report:
    """Evaluate on an ICKG file: the graph from ``train``, the hidden links from ``valid``."""
    return evaluate(ickg_benchmark(path), bootstrap=bootstrap, seed=seed, trained=trained)


def format_report(report: Report) -> str:
    lines = [f"评估 / evaluation: {report.dataset}",
             f"{report.queries} suppliers, {report.pairs} supplier → buyer pairs, {report.firms} candidate firms",
             f"{'method':<22}" + "".join(f"{m:>24}" for m in METRICS) + f"{'tied top10':>12}{'distinct':>10}{'max share':>11}"]
    for r in report.methods:
        cells = "".join(f"{r.metrics[m].value:>8.3f} [{r.metrics[m].low:.3f}, {r.metrics[m].high:.3f}]" for m in METRICS)
        lines.append(f"{r.method:<22}{cells}{r.tied_top10:>12.3f}{r.distinct_top10:>10}{r.max_top10_share:>11.3f}")
    lines += report.notes
    return "\n".join(lines) + "\n"


# -- classification of real register text -------------------------------------------------------


@dataclass(frozen=True)
class ClassificationReport:
    """How the classifier does on real strings: answered (confident enough), right among those, abstentions."""

    labelled: int
    answered: int
    correct: int
    no_industry: int
    """Strings that name no industry (the right answer is to abstain)."""
    abstained_right: int

    @property
    def top1(self) -> float:
        """Right among the answered."""
        return self.correct / self.answered if self.answered else 0.0

    @property
    def abstention(self) -> float:
        """Share of the labelled strings left without a code."""
        return 1 - self.answered / self.labelled if self.labelled else 0.0


def classification_on_strings(path: Path) -> ClassificationReport:
    """Classify the strings of a hand-labelled file ``text,code[,note]`` (``code`` a 门类 letter, a GB/T code of
    any depth, or empty when the text names no industry). A prediction is right when it falls under the
    label; one below :data:`chainmatch.matching.index.CLASSIFY_MIN_CONFIDENCE` counts as an abstention."""
    from chainmatch.knowledge.classify import classify_many
    from chainmatch.knowledge.industries import load_industries
    from chainmatch.matching.index import CLASSIFY_MIN_CONFIDENCE

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    industries = load_industries()
    labelled = answered = correct = empty = abstained_right = 0
    for row, result in zip(rows, classify_many([r["text"] for r in rows], top=1)):
        label, best = row["code"].strip(), result.best
        confident = best is not None and best.confidence >= CLASSIFY_MIN_CONFIDENCE
        if not label:
            empty += 1
            abstained_right += not confident
            continue
        labelled += 1
        if confident and best is not None:
            answered += 1
            if label.isalpha():
                correct += industries.section_of(best.code).code == label
            else:
                correct += best.code.startswith(label)
    return ClassificationReport(labelled, answered, correct, empty, abstained_right)


def concordance_agreement(bench: Benchmark, sw_codes: dict[str, str]) -> tuple[int, int, int]:
    """(firms covered, firms with a code, firms whose main classified code's 大类 is one the concordance gives for
    their SW-2021 industry). ``sw_codes`` maps firm ids to SW-2021 L3 codes; the concordance is the shipped
    ``sw2021_gbt4754.csv``."""
    with (Path(__file__).parent.parent / "data" / "sw2021_gbt4754.csv").open(encoding="utf-8", newline="") as fh:
        concordance = {r["sw_code"]: {c[:2] for c in r["gbt_codes"].split(";") if c} for r in csv.DictReader(fh)}
    covered = coded = agree = 0
    for i, firm in enumerate(bench.index.ids):
        allowed = concordance.get(sw_codes.get(firm, ""))
        if not allowed:
            continue
        covered += 1
        codes = [c for c in bench.index.codes[i] if ":" not in c]
        if codes:
            coded += 1
            agree += code_prefixes(codes[0])[0] in allowed if code_prefixes(codes[0]) else False
    return covered, coded, agree


def train_on(bench: Benchmark, *, seed: int = 0) -> RankingModel:
    """Fit the ranking model on a benchmark's train pairs (their trades left out of the features: no leakage)."""
    from chainmatch.matching.outcomes import fit_on_pairs

    if not bench.train:
        raise DataError(f"{bench.name}: no train pairs to learn from (give pairs with split=train).")
    return fit_on_pairs(bench.index.without_trades(bench.train), bench.train, seed=seed)
