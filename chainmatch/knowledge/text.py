"""The one text measure: how alike two product descriptions are, as the cosine of TF-IDF character n-grams.

Chinese product names carry their meaning in characters and short character runs (焦炭, 焦炉煤气, 炼焦),
so the measure needs no word segmentation: character 1–3-grams, weighted by TF-IDF over the product
names the index holds. A firm's vector is the normalised sum of its products' vectors, every product
counting alike (on a real register, weighting by revenue share put the broad segment names such as
化工产品 above the specific products that say what a firm makes, and measured worse: see README,
"Recommendations on real firms").

Ranking, a need's candidates and the chain maps all use this one measure; the evaluation's text baseline
is this measure alone.

>>> m = TextMeasure.fit([("焦炭", "焦炉煤气"), ("甲醇", "焦炉煤气制甲醇"), ("服装面料",)])
>>> sims = m.firm_similarity(m.firm_vector(0), np.array([1, 2]))
>>> bool(sims[0] > 0.2), float(sims[1])
(True, 0.0)
>>> [int(i) for i in m.similar_firms(m.text_vector(["焦炉煤气"]), 2)[0]]
[0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import CountVectorizer

__all__ = ["NGRAMS", "TextMeasure"]

NGRAMS = (1, 3)
"""Character n-gram lengths (1–3 measured best on the real register; 2–3 is the common choice)."""
_TOP_PRODUCTS = 600
"""Products most like a query whose makers become text candidates (bounds the work per query)."""
_MAKERS = 8
"""Text candidates are gathered from the most alike products until this many times the number wanted."""
_CACHE = 20_000
"""Vectors of free texts kept (need and product texts recur)."""


def _l2(m: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to length 1 (rows of zeros stay zeros); no input validation: this runs on every query."""
    m = sp.csr_matrix(m, copy=True)
    lengths = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    scale = np.where(lengths > 0, 1.0 / np.where(lengths > 0, lengths, 1.0), 0.0)
    m.data *= np.repeat(scale, np.diff(m.indptr))
    return m


@dataclass
class TextMeasure:
    """TF-IDF vectors of the index's products and of its firms (the normalised sum of their products)."""

    vectorizer: CountVectorizer | None
    product_names: list[str]
    """The distinct product names, in the order of the rows of ``products``."""
    idf: NDArray[np.float64]
    """Per n-gram, ln((1 + firms) / (1 + firms whose products hold it)) + 1."""
    products: sp.csr_matrix
    """Distinct product × n-gram, each row L2-normalised."""
    product_terms: sp.csr_matrix
    """The transpose (n-gram × product), for scoring a query against every product through its own n-grams."""
    firm_products: sp.csr_matrix
    """Firm × distinct product (1 where the firm makes it)."""
    product_firms: sp.csr_matrix
    """Product × firm (the transpose), for the makers of a product."""
    norms: NDArray[np.float64]
    """Per firm, the length of the sum of its product vectors (0 for firms without products)."""

    @classmethod
    def fit(cls, firm_products: Sequence[Sequence[str]]) -> TextMeasure:
        """Learn the n-gram weights from every firm's product names and vectorise them."""
        names = sorted({p for ps in firm_products for p in ps if p.strip()})
        ids = {p: i for i, p in enumerate(names)}
        rows = [f for f, ps in enumerate(firm_products) for p in dict.fromkeys(ps) if p in ids]
        cols = [ids[p] for ps in firm_products for p in dict.fromkeys(ps) if p in ids]
        n = len(firm_products)
        fp = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(names)))
        if not names:
            empty = sp.csr_matrix((0, 0))
            return cls(None, names, np.zeros(0), empty, empty, fp, fp.T.tocsr(), np.zeros(n))
        # Counted once per distinct product (a million firms share far fewer names), with each name's
        # document frequency weighted by how many firms make it: the IDF of firm documents, nearly.
        vectorizer = CountVectorizer(analyzer="char", ngram_range=NGRAMS, lowercase=True, dtype=np.float64)
        counts = vectorizer.fit_transform(names).tocsr()
        makers = np.asarray(fp.sum(axis=0)).ravel()
        present = counts.copy()
        present.data[:] = 1.0
        df = np.minimum(present.T @ makers, n)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        products = cls._weigh(counts, idf)
        sums = fp @ products
        norms = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
        return cls(vectorizer, names, idf, products, products.T.tocsr(), fp, fp.T.tocsr(), norms)

    @staticmethod
    def _weigh(counts: sp.csr_matrix, idf: NDArray[np.float64]) -> sp.csr_matrix:
        tf = counts.copy()
        tf.data = 1.0 + np.log(tf.data)  # sublinear term frequency
        return _l2(tf.multiply(idf).tocsr())

    @cached_property
    def product_ids(self) -> dict[str, int]:
        """Row of each distinct product name."""
        return {p: i for i, p in enumerate(self.product_names)}

    @cached_property
    def _texts(self) -> dict[str, sp.csr_matrix]:
        return {}

    def _one(self, text: str) -> sp.csr_matrix:
        row = self.product_ids.get(text)
        if row is not None:
            return self.products[row]
        found = self._texts.get(text)
        if found is None:
            assert self.vectorizer is not None
            if len(self._texts) >= _CACHE:
                self._texts.clear()
            found = self._texts[text] = self._weigh(self.vectorizer.transform([text]).tocsr(), self.idf)
        return found

    def text_vector(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The vector of free texts (a product to place, a need), like a firm making each of them."""
        texts = [t for t in texts if t and t.strip()]
        if self.vectorizer is None or not texts:
            return sp.csr_matrix((1, max(self.products.shape[1], 1)))
        rows = [self._one(t) for t in texts]
        return _l2(rows[0] if len(rows) == 1 else sp.csr_matrix(sp.vstack(rows).sum(axis=0)))

    def text_vectors(self, texts: Sequence[str]) -> sp.csr_matrix:
        """One row per text, each the vector ``text_vector([text])`` gives, made in one pass (many texts at once)."""
        width = max(self.products.shape[1], 1)
        if self.vectorizer is None or not texts:
            return sp.csr_matrix((len(texts), width))
        todo = [t for t in dict.fromkeys(texts) if t and t.strip() and t not in self.product_ids]
        weighed = self._weigh(self.vectorizer.transform(todo).tocsr(), self.idf) if todo else None
        at = {t: k for k, t in enumerate(todo)}
        empty = sp.csr_matrix((1, width))
        rows = [self.products[self.product_ids[t]] if t in self.product_ids
                else weighed[at[t]] if t in at and weighed is not None else empty for t in texts]
        return _l2(sp.csr_matrix(sp.vstack(rows, format="csr")))

    def firm_vector(self, firm: int) -> sp.csr_matrix:
        """The normalised vector of one firm's products (all zeros for a firm without products)."""
        if self.vectorizer is None:
            return sp.csr_matrix((1, 1))
        return _l2(self.firm_products[firm] @ self.products)

    def product_similarity(self, query: sp.csr_matrix) -> NDArray[np.float64]:
        """Cosine of ``query`` with every distinct product (computed through the query's own n-grams only)."""
        if self.vectorizer is None or query.nnz == 0:
            return np.zeros(self.products.shape[0])
        return np.asarray((query @ self.product_terms).todense()).ravel()

    def firm_similarity(
        self, query: sp.csr_matrix, firms: NDArray[np.int32], by_product: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        """Cosine of ``query`` with each of ``firms`` (0 for a firm without products)."""
        if not len(firms):
            return np.zeros(0)
        sims = self.product_similarity(query) if by_product is None else by_product
        if not len(sims):
            return np.zeros(len(firms))
        dots = self.firm_products[firms] @ sims
        norms = self.norms[firms]
        return np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), 0.0)

    def similar_firms(
        self, query: sp.csr_matrix, top: int, by_product: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        """The firms whose products are most like ``query`` (at most ``top``), most alike first, with their cosines.

        Candidates are the makers of the products most like the query, so the work is bounded by the
        number of products looked at, not by the number of firms.
        """
        sims = self.product_similarity(query) if by_product is None else by_product
        hits = np.flatnonzero(sims > 0)
        if not len(hits):
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        if len(hits) > _TOP_PRODUCTS:
            hits = hits[np.argpartition(-sims[hits], _TOP_PRODUCTS)[:_TOP_PRODUCTS]]
        hits = hits[np.argsort(-sims[hits], kind="stable")]
        indptr, indices, budget = self.product_firms.indptr, self.product_firms.indices, _MAKERS * top
        chunks, total = [], 0
        for p in hits.tolist():  # the makers of the most alike products first, until there are enough
            row = indices[indptr[p]:indptr[p + 1]][:budget]
            chunks.append(row)
            total += len(row)
            if total >= budget:
                break
        makers = np.unique(np.concatenate(chunks)).astype(np.int32)
        scores = self.firm_similarity(query, makers, sims)
        if len(makers) > top:
            keep = np.argpartition(-scores, top)[:top]
            makers, scores = makers[keep], scores[keep]
        order = np.lexsort((makers, -scores))
        return makers[order], scores[order]
