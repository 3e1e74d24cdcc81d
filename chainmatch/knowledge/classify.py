"""Free Chinese text (product, 经营范围, firm name) → ranked GB/T 4754-2017 小类 with a calibrated confidence."""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from chainmatch.knowledge.industries import load_industries

__all__ = [
    "Candidate",
    "Classification",
    "IndustryClassifier",
    "build_classifier",
    "classify",
    "classify_many",
    "default_classifier",
    "knowledge_documents",
    "normalize_text",
    "ranked_candidates",
    "read_synonyms",
]

_SYNONYMS_FILE = Path(__file__).parent.parent / "data" / "industry_synonyms.csv"

# Weights of the knowledge documents by kind: a curated synonym or the official name is a full match; a parent's
# name or a description says less about one 小类, so it must not beat a synonym of another.
_W_TERM = 1.0
_W_DESCRIPTION = 0.75
_W_PARENT = 0.7

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Legal-form and filler words that end firm names ("漯河利通液压科技股份有限公司"); they name no industry.
_FIRM_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团|股份|公司|分公司|科技|实业|发展|控股|工贸|商贸)+$")
_EVIDENCE_CHARS = 24
# Suffixes that name the activity, not the product: "皮鞋制造" is matched by "皮鞋".
_ACTIVITY_SUFFIX = re.compile(r"(生产专用设备制造|专用设备制造|及副产品加工|制品制造|制造|加工|生产|种植|养殖|服务|活动)$")


def normalize_text(text: str) -> str:
    """Return ``text`` NFKC-normalised, lower-cased, without whitespace, punctuation or symbols.

    Full-width letters and digits become ASCII; Chinese characters, letters and digits are kept.

    >>> normalize_text(" 高压灭菌设备（食品用）， ＰＬＣ ")
    '高压灭菌设备食品用plc'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


@dataclass(frozen=True)
class Candidate:
    """One ranked industry for a text: ``confidence`` is the calibrated probability that ``code`` is right."""

    code: str
    name: str
    confidence: float
    evidence: str


@dataclass(frozen=True)
class Classification:
    """The ranked 小类 for ``text``; empty ``candidates`` come with a ``reason``."""

    text: str
    candidates: tuple[Candidate, ...]
    reason: str | None = None

    @property
    def best(self) -> Candidate | None:
        """The top candidate, or ``None`` when nothing matched."""
        return self.candidates[0] if self.candidates else None


class IndustryClassifier(BaseEstimator):  # type: ignore[misc]
    """Nearest-document classifier over character n-grams, with an exact-term boost and a calibrated confidence.

    Each class (a 小类 code) is known by several short documents: its official name, its curated synonyms, its
    description and its parent's name. A text scores, for each class, the best cosine similarity between its
    character n-grams and one of the class's documents (times the document's weight), plus ``term_weight`` times
    the share of the text covered by the longest synonym or name it contains. The longest contained term decides
    between a specific code and a general one ("食品杀菌设备" contains "杀菌设备"). The confidence is a logistic
    fit of (score, margin, coverage) → correct, learnt leave-one-out on the terms themselves during ``fit``.

    Parameters
    ----------
    ngram_range : tuple of int
        Character n-gram lengths.
    term_weight : float
        Weight of the longest-contained-term coverage (0 turns the boost off).
    catch_all_penalty : float
        Subtracted from the score of codes named 其他… / …未列明…, so a specific code wins a tie.
    min_score : float
        Texts whose best score is below this are refused as meaningless.

    Examples
    --------
    >>> clf = IndustryClassifier().fit(["皮鞋", "运动鞋", "猪肉罐头", "牛肉干"], ["1952", "1954", "1453", "1353"])
    >>> clf.predict(["男士皮鞋", "卤牛肉干"]).tolist()
    ['1952', '1353']
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 3),
        term_weight: float = 0.5,
        catch_all_penalty: float = 0.03,
        min_score: float = 0.25,
    ) -> None:
        self.ngram_range = ngram_range
        self.term_weight = term_weight
        self.catch_all_penalty = catch_all_penalty
        self.min_score = min_score

    def fit(
        self, X: Sequence[str], y: Sequence[str], sample_weight: Sequence[float] | None = None
    ) -> IndustryClassifier:
        """Learn from documents ``X`` labelled with codes ``y``; weight 1 marks a term (name or synonym).

        Returns
        -------
        self
        """
        weights = [_W_TERM] * len(X) if sample_weight is None else list(sample_weight)
        if not len(X) == len(y) == len(weights):
            raise ValueError(f"X, y and sample_weight differ in length: {len(X)}, {len(y)}, {len(weights)}")
        # One document per (class, text): the strongest weight wins, so a synonym equal to a name counts once.
        docs: dict[tuple[str, str], float] = {}
        for text, code, weight in zip(X, y, weights):
            key = (code, normalize_text(text))
            if key[1]:
                docs[key] = max(weight, docs.get(key, 0.0))
        ordered = sorted(docs.items())
        self.classes_: NDArray[np.str_] = np.array(sorted({code for (code, _), _ in ordered}))
        class_index = {code: i for i, code in enumerate(self.classes_.tolist())}
        self.doc_texts_: list[str] = [text for (_, text), _ in ordered]
        self.doc_class_: NDArray[np.intp] = np.array([class_index[c] for (c, _), _ in ordered], dtype=np.intp)
        self.doc_weight_: NDArray[np.float64] = np.array([w for _, w in ordered])
        self.class_start_: NDArray[np.intp] = np.searchsorted(self.doc_class_, np.arange(len(self.classes_)))
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char", ngram_range=self.ngram_range, sublinear_tf=True, dtype=np.float32
        )
        matrix = self.vectorizer_.fit_transform(self.doc_texts_)
        # Scaling rows by weight here makes the weighted cosine a single sparse product at predict time.
        self.doc_matrix_t_ = matrix.multiply(self.doc_weight_[:, None].astype(np.float32)).T.tocsr()
        self.terms_: dict[str, list[tuple[int, int]]] = {}
        for i, (text, weight) in enumerate(zip(self.doc_texts_, self.doc_weight_)):
            if weight >= _W_TERM:
                self.terms_.setdefault(text, []).append((int(self.doc_class_[i]), i))
        self.max_term_len_: int = max(map(len, self.terms_), default=1)
        # Single characters are shared by almost any two texts ("呢" in 呢绒): a text must share a longer n-gram.
        self.multi_char_: NDArray[np.bool_] = np.array(
            [len(f) >= 2 for f in self.vectorizer_.get_feature_names_out()], dtype=bool
        )
        industries = load_industries()
        self.penalty_: NDArray[np.float32] = np.array(
            [
                self.catch_all_penalty if c in industries and _is_catch_all(industries.get(c).name) else 0.0
                for c in self.classes_.tolist()
            ],
            dtype=np.float32,
        )
        self.calibrator_ = self._fit_calibration()
        return self

    def rank(self, X: Sequence[str], *, top: int = 5) -> list[list[tuple[str, float, str]]]:
        """Return, for each text, up to ``top`` ``(code, confidence, evidence)`` best first (empty if meaningless).

        >>> clf = IndustryClassifier().fit(["皮鞋", "运动鞋"], ["1952", "1954"])
        >>> [(code, evidence) for code, _, evidence in clf.rank(["真皮皮鞋", "hello"], top=1)[0]]
        [('1952', "contains '皮鞋'")]
        """
        texts = [_strip_firm_suffix(normalize_text(x)) for x in X]
        out: list[list[tuple[str, float, str]]] = []
        for start in range(0, len(texts), _BATCH):
            out.extend(self._rank_batch(texts[start : start + _BATCH], top=top))
        return out

    def predict(self, X: Sequence[str]) -> NDArray[np.str_]:
        """Return the best code per text, ``''`` where the text is refused."""
        return np.array([r[0][0] if r else "" for r in self.rank(X, top=1)], dtype=object).astype(str)

    # -- internals ---------------------------------------------------------------------------------------------

    def _scores(self, texts: list[str], exclude: NDArray[np.intp] | None = None) -> _Scores:
        """Per-class scores, best cosine and term coverage for normalized ``texts``.

        ``exclude[i]`` is a document left out for text ``i`` (leave-one-out calibration), -1 for none.
        """
        vectors = self.vectorizer_.transform(texts)
        sims: NDArray[np.float32] = (vectors @ self.doc_matrix_t_).toarray()
        # Texts sharing no n-gram of two or more characters with the knowledge keep only exact-term evidence.
        no_shared = np.asarray(vectors[:, self.multi_char_].getnnz(axis=1) == 0)
        sims[no_shared] = 0.0
        if exclude is not None:
            rows = np.flatnonzero(exclude >= 0)
            sims[rows, exclude[rows]] = 0.0
        cosine: NDArray[np.float32] = np.maximum.reduceat(sims, self.class_start_, axis=1).astype(np.float32)
        coverage: NDArray[np.float32] = np.zeros_like(cosine)
        matches: list[dict[int, tuple[float, str]]] = []
        for row, text in enumerate(texts):
            skip = int(exclude[row]) if exclude is not None else -1
            found = self._contained_terms(text, skip)
            matches.append(found)
            for cls, (value, _) in found.items():
                coverage[row, cls] = value
        scores: NDArray[np.float32] = (cosine + np.float32(self.term_weight) * coverage - self.penalty_).astype(
            np.float32, copy=False
        )
        return _Scores(scores, sims, cosine, coverage, matches)

    def _contained_terms(self, text: str, skip_doc: int) -> dict[int, tuple[float, str]]:
        """Best term of each class found inside ``text``: class → (coverage, term).

        Coverage is the share of the text the term spans, discounted by up to a half the further the term
        ends from the end of the text: a Chinese compound puts its head last, so in "啤酒酿造设备" the
        equipment, not the beer, names the industry.
        """
        found: dict[int, tuple[float, str]] = {}
        n = len(text)
        for i in range(n):
            for j in range(min(n, i + self.max_term_len_), i, -1):
                # A one-character term only counts when it is the whole text ("茶"), never inside a longer one.
                if j - i == 1 and n > 1:
                    break
                hits = self.terms_.get(text[i:j])
                if hits is None:
                    continue
                value = (j - i) / n * (1.0 - _HEAD_DISCOUNT * (n - j) / n)
                for cls, doc in hits:
                    if doc != skip_doc and value > found.get(cls, (0.0, ""))[0]:
                        found[cls] = (value, text[i:j])
        return found

    def _confidence(self, feats: NDArray[np.float64]) -> NDArray[np.float64]:
        """The calibrator's probability, computed directly: one vectorised call per batch, not per text."""
        z = feats @ self.calibrator_.coef_[0] + self.calibrator_.intercept_[0]
        prob: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return prob

    def _rank_batch(self, texts: list[str], *, top: int) -> list[list[tuple[str, float, str]]]:
        sc = self._scores(texts)
        order = _top_k(sc.scores, min(top + 1, sc.scores.shape[1]))
        rows = np.arange(len(texts))[:, None]
        prob = self._confidence(_features(sc.scores[rows, order], sc.coverage[rows, order]))
        best_score = sc.scores[rows[:, 0], order[:, 0]]
        out: list[list[tuple[str, float, str]]] = []
        for row, text in enumerate(texts):
            if not _CJK.search(text) or best_score[row] < self.min_score:
                out.append([])
                continue
            ranked = []
            for cls, p in zip(order[row, :top].tolist(), prob[row, :top].tolist()):
                if cls in sc.matches[row]:
                    evidence = f"contains '{sc.matches[row][cls][1]}'"
                else:
                    lo, hi = int(self.class_start_[cls]), _end(self.class_start_, cls, len(self.doc_texts_))
                    doc = lo + int(np.argmax(sc.sims[row, lo:hi]))
                    evidence = f"similar to '{self.doc_texts_[doc][:_EVIDENCE_CHARS]}' ({sc.cosine[row, cls]:.2f})"
                ranked.append((str(self.classes_[cls]), round(p, 3), evidence))
            out.append(ranked)
        return out

    def _fit_calibration(self) -> LogisticRegression:
        """Fit P(candidate is right | features) leave-one-out on the terms: each term is scored with itself hidden."""
        term_docs = np.flatnonzero(self.doc_weight_ >= _W_TERM).astype(np.intp)
        feats: list[NDArray[np.float64]] = []
        labels: list[NDArray[np.bool_]] = []
        for start in range(0, len(term_docs), _BATCH):
            docs = term_docs[start : start + _BATCH]
            sc = self._scores([self.doc_texts_[d] for d in docs], exclude=docs)
            order = _top_k(sc.scores, min(_CALIBRATION_DEPTH, sc.scores.shape[1]))
            rows = np.arange(len(docs))[:, None]
            feats.append(_features(sc.scores[rows, order], sc.coverage[rows, order]).reshape(-1, _N_FEATURES))
            labels.append((order == self.doc_class_[docs][:, None]).reshape(-1))
        x = np.vstack(feats)
        y = np.concatenate(labels)
        if y.all() or not y.any():  # a toy fit with one outcome: fall back to a fixed, monotone mapping
            x = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
            y = np.array([False, True])
        return LogisticRegression(C=10.0).fit(x, y)


@dataclass(frozen=True)
class _Scores:
    scores: NDArray[np.float32]  # texts × classes: what ranks
    sims: NDArray[np.float32]  # texts × documents: weighted cosine, for the evidence
    cosine: NDArray[np.float32]  # texts × classes: best document cosine
    coverage: NDArray[np.float32]  # texts × classes: best contained term's coverage
    matches: list[dict[int, tuple[float, str]]]


def _top_k(scores: NDArray[np.float32], k: int) -> NDArray[np.intp]:
    """Column indices of the ``k`` best scores per row, best first."""
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.arange(scores.shape[0])[:, None]
    ordered: NDArray[np.intp] = part[rows, np.argsort(-scores[rows, part], axis=1, kind="stable")]
    return ordered


_BATCH = 1024
_N_FEATURES = 3
_HEAD_DISCOUNT = 0.5
_CALIBRATION_DEPTH = 5


def _end(starts: NDArray[np.intp], cls: int, n_docs: int) -> int:
    return int(starts[cls + 1]) if cls + 1 < len(starts) else n_docs


def _features(scores: NDArray[np.float32], coverage: NDArray[np.float32]) -> NDArray[np.float64]:
    """Calibration features per candidate (texts × candidates × 3, best candidate first): its score, its margin
    over the best other candidate, and its term coverage."""
    s = scores.astype(np.float64)
    best_other = np.repeat(s[:, :1], s.shape[1], axis=1)
    if s.shape[1] > 1:
        best_other[:, 0] = s[:, 1]
    else:
        best_other[:, 0] = 0.0
    return np.stack([s, s - best_other, coverage.astype(np.float64)], axis=-1)


def _strip_firm_suffix(text: str) -> str:
    """Drop a firm name's legal form ("…液压科技股份有限公司" → "…液压"), unless nothing would be left."""
    return _FIRM_SUFFIX.sub("", text) or text


def _is_catch_all(name: str) -> bool:
    return name.startswith("其他") or "未列明" in name


@functools.cache
def _leaf_names() -> dict[str, str]:
    return {i.code: i.name for i in load_industries()}


def knowledge_documents() -> tuple[list[str], list[str], list[float]]:
    """Return the training documents ``(texts, codes, weights)`` from the shipped standard and synonym files.

    For every 小类: its name and the name without its activity suffix (terms, weight 1), its description and its
    parent 中类's name (weaker); then the curated synonyms (terms).

    >>> texts, codes, weights = knowledge_documents()
    >>> ("皮鞋", "1952", 1.0) in set(zip(texts, codes, weights))
    True
    """
    industries = load_industries()
    texts: list[str] = []
    codes: list[str] = []
    weights: list[float] = []

    def add(text: str, code: str, weight: float) -> None:
        if text:
            texts.append(text)
            codes.append(code)
            weights.append(weight)

    for leaf in industries.at_level(4):
        add(leaf.name, leaf.code, _W_TERM)
        core = _ACTIVITY_SUFFIX.sub("", leaf.name)
        if len(core) >= 2 and not _is_catch_all(core):
            add(core, leaf.code, _W_TERM)
        add(leaf.description.removeprefix("指"), leaf.code, _W_DESCRIPTION)
        if leaf.parent is not None:
            parent = industries.get(leaf.parent)
            if parent.name != leaf.name:
                add(parent.name, leaf.code, _W_PARENT)
            add(parent.description.removeprefix("指"), leaf.code, _W_PARENT * _W_DESCRIPTION)
    for code, synonym in read_synonyms():
        add(synonym, code, _W_TERM)
    return texts, codes, weights


def read_synonyms(path: Path = _SYNONYMS_FILE) -> list[tuple[str, str]]:
    """Return ``(code, synonym)`` pairs from a ``code,synonyms`` CSV whose synonyms are separated by ``;``."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            (row["code"].strip(), s.strip())
            for row in csv.DictReader(f)
            for s in row["synonyms"].split(";")
            if s.strip()
        ]


def build_classifier(**params: Any) -> IndustryClassifier:
    """Return an unfitted :class:`IndustryClassifier` with the project's settings (overridable by ``params``)."""
    return IndustryClassifier(**params)


@functools.cache
def default_classifier() -> IndustryClassifier:
    """Fit the classifier on the shipped knowledge once and return it (cached; nothing happens at import)."""
    texts, codes, weights = knowledge_documents()
    return build_classifier().fit(texts, codes, sample_weight=weights)


def classify(text: str, *, top: int = 5, classifier: IndustryClassifier | None = None) -> Classification:
    """Classify one product name, business scope or firm name into GB/T 4754-2017 小类.

    Parameters
    ----------
    text : str
        Free Chinese text.
    top : int
        Number of candidates to return at most.
    classifier : IndustryClassifier, optional
        A fitted classifier; by default the shipped one (:func:`default_classifier`).

    Returns
    -------
    Classification
        Candidates best first; empty, with a ``reason``, for empty or meaningless text.

    Examples
    --------
    >>> result = classify("高压灭菌设备")
    >>> result.best.code, result.best.name
    ('3531', '食品、酒、饮料及茶生产专用设备制造')
    >>> classify("  ").reason
    '文本为空 (empty text)'
    """
    return classify_many([text], top=top, classifier=classifier)[0]


def classify_many(
    texts: Iterable[str], *, top: int = 5, classifier: IndustryClassifier | None = None
) -> list[Classification]:
    """Classify many texts at once (vectorised; use this for bulk loads).

    >>> [c.best.code if c.best else c.reason for c in classify_many(["液压油缸", "hello"])]
    ['3444', '没有中文产品词 (no Chinese product words)']
    """
    clf = classifier if classifier is not None else default_classifier()
    items = list(texts)
    names = _leaf_names()
    ranked = clf.rank(items, top=top)
    out: list[Classification] = []
    for text, found in zip(items, ranked):
        if found:
            candidates = tuple(
                Candidate(code, names[code], confidence, evidence) for code, confidence, evidence in found
            )
            out.append(Classification(text, candidates))
            continue
        normalized = normalize_text(text)
        if not normalized:
            reason = "文本为空 (empty text)"
        elif not _CJK.search(normalized):
            reason = "没有中文产品词 (no Chinese product words)"
        else:
            reason = "未识别出产品或行业词 (no product or industry words recognised)"
        out.append(Classification(text, (), reason))
    return out


def ranked_candidates(texts: list[str], *, top: int = 3) -> list[list[tuple[str, float, str]]]:
    """For each text its ``(code, confidence, evidence)`` candidates, best first: the loader's ``classify`` hook.

    >>> [c[0] for c in ranked_candidates(["液压油缸"])[0]][:1]
    ['3444']
    """
    return [[(c.code, c.confidence, c.evidence) for c in r.candidates] for r in classify_many(texts, top=top)]
