"""Product → product supply links (``data/product_chains.csv``) laid over the products a register holds.

The chain knowledge names products the way people write them (焦炭 → 甲醇, 纯碱 → 平板玻璃); registers write
their own variants (冶金焦炭, 重质纯碱). Each knowledge product is matched to the index's products that are
most like it by the one text measure (:mod:`chainmatch.knowledge.text`), and a link A → B becomes, for every product p
like A and q like B, a link p → q of weight w(A → B) × sim(p, A) × sim(q, B) (the best such path counts).

>>> from chainmatch.knowledge.text import TextMeasure
>>> text = TextMeasure.fit([("冶金焦炭",), ("甲醇", "二甲醚"), ("服装",)])
>>> links = ProductLinks.build(text, [("焦炭", "甲醇", 1.0, "煤化工")])
>>> firms, values = links.linked_firms(text, 0, "buyers")
>>> [int(f) for f in firms], bool(values[0] > 0.4)
([1], True)
>>> links.evidence(text, 0, 1, "buyers")
('冶金焦炭', '甲醇', '焦炭 → 甲醇 (煤化工)')
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from chainmatch.knowledge.text import TextMeasure

__all__ = ["MATCH_MIN", "ProductLinks", "read_product_chains"]

_FILE = Path(__file__).parent.parent / "data" / "product_chains.csv"
MATCH_MIN = 0.5
"""A register product stands for a knowledge product when their cosine is at least this."""
_BUDGET = 3000
"""Makers gathered per query from the reached products (the most strongly reached first)."""
_MATCHES = 40
"""At most this many register products stand for one knowledge product (the most alike)."""

_CHUNK = 128
"""Knowledge products matched at once (a chunk × register products dense block: 128 × 50,000 is 51 MB)."""

Link = tuple[str, str, float, str]


@lru_cache(maxsize=1)
def read_product_chains(path: Path = _FILE) -> tuple[Link, ...]:
    """(supplier product, buyer product, weight, chain) rows of the shipped product chains (empty if absent)."""
    if not path.exists():
        return ()
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple((r["supplier_product"].strip(), r["buyer_product"].strip(), float(r["weight"]),
                      r.get("chain", "").strip()) for r in csv.DictReader(fh)
                     if r["supplier_product"].strip() and r["buyer_product"].strip())


@dataclass
class ProductLinks:
    """The knowledge's product links between the index's own products, as a sparse product × product matrix."""

    down: sp.csr_matrix
    """Register product p → register product q it supplies, with the link's strength in (0, 1]."""
    up: sp.csr_matrix
    """The transpose: q → the products that supply it."""
    match: sp.csr_matrix
    """Knowledge product × register product: how alike (≥ :data:`MATCH_MIN`)."""
    names: list[str]
    """The knowledge products, in the order of ``match``'s rows."""
    links: tuple[Link, ...]

    @classmethod
    def build(cls, text: TextMeasure, links: Sequence[Link] | None = None) -> ProductLinks:
        links = tuple(read_product_chains() if links is None else links)
        n = len(text.product_names)
        names = sorted({x for a, b, _, _ in links for x in (a, b)})
        if not names or not n:
            empty = sp.csr_matrix((n, n))
            return cls(empty, empty, sp.csr_matrix((len(names), n)), names, links)
        rows, cols, vals = [], [], []
        for start in range(0, len(names), _CHUNK):  # the knowledge's names vectorised together, a chunk at a time
            block = np.asarray((text.text_vectors(names[start:start + _CHUNK]) @ text.product_terms).todense())
            for k, sims in enumerate(block, start=start):
                hit = np.flatnonzero(sims >= MATCH_MIN)
                if len(hit) > _MATCHES:
                    hit = hit[np.argpartition(-sims[hit], _MATCHES)[:_MATCHES]]
                rows += [k] * len(hit)
                cols += hit.tolist()
                vals += sims[hit].tolist()
        match = sp.csr_matrix((vals, (rows, cols)), shape=(len(names), n))
        at = {x: i for i, x in enumerate(names)}
        best: dict[tuple[int, int], float] = {}
        for a, b, w, _ in links:
            ra, rb = match[at[a]], match[at[b]]
            for p, sa in zip(ra.indices.tolist(), ra.data.tolist()):
                for q, sb in zip(rb.indices.tolist(), rb.data.tolist()):
                    if p != q:
                        v = w * sa * sb
                        if v > best.get((p, q), 0.0):
                            best[(p, q)] = v
        if best:
            keys = np.array(list(best), dtype=np.int64)
            down = sp.csr_matrix((np.array(list(best.values())), (keys[:, 0], keys[:, 1])), shape=(n, n))
        else:
            down = sp.csr_matrix((n, n))
        return cls(down, down.T.tocsr(), match, names, links)

    def reach(self, own: NDArray[np.int64], direction: str) -> NDArray[np.float64]:
        """Per register product, the strongest link from (buyers) or to (suppliers) one of ``own``."""
        if not len(own):
            return np.zeros(self.down.shape[0])
        m = (self.down if direction == "buyers" else self.up)[own]
        out = np.zeros(self.down.shape[0])
        if m.nnz:
            out = np.asarray(m.max(axis=0).todense()).ravel()
        return out

    def linked_firms(self, text: TextMeasure, firm: int, direction: str) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        """Firms making a product the firm's products supply (buyers) or are supplied by (suppliers), with the
        strongest link's strength, in firm order."""
        own = text.firm_products[firm].indices.astype(np.int64)
        return self.firms_for(text, self.reach(own, direction))

    def firms_for(self, text: TextMeasure, reach: NDArray[np.float64], budget: int = _BUDGET,
                  ) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        """Makers of the reached products with the strongest reach among their products: the most strongly reached
        products first, until ``budget`` makers (bounded work where products have thousands of makers)."""
        products = np.flatnonzero(reach > 0)
        if not len(products):
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        products = products[np.argsort(-reach[products], kind="stable")]
        indptr, indices = text.product_firms.indptr, text.product_firms.indices
        rows, values, total = [], [], 0
        for p in products.tolist():
            row = indices[indptr[p]:indptr[p + 1]][:budget - total]
            rows.append(row)
            values.append(np.full(len(row), reach[p]))
            total += len(row)
            if total >= budget:
                break
        firms = np.concatenate(rows).astype(np.int32)
        strength = np.concatenate(values)
        first = np.unique(firms, return_index=True)[1]  # each firm at its strongest product (met first)
        return firms[first], strength[first]

    def evidence(self, text: TextMeasure, firm: int, other: int, direction: str) -> tuple[str, str, str] | None:
        """(the firm's product, the other's product, the knowledge link) behind the strongest link, or None."""
        own = text.firm_products[firm].indices
        theirs = text.firm_products[other].indices
        if not len(own) or not len(theirs):
            return None
        m = (self.down if direction == "buyers" else self.up)[own][:, theirs].toarray()
        if not m.size or m.max() <= 0:
            return None
        i, j = np.unravel_index(int(np.argmax(m)), m.shape)
        p, q = int(own[i]), int(theirs[j])
        sup, buy = (p, q) if direction == "buyers" else (q, p)
        a, b, w = self._arrays
        values = w * self.match[:, sup].toarray().ravel()[a] * self.match[:, buy].toarray().ravel()[b]
        k = int(np.argmax(values))
        if values[k] <= 0:
            return None
        x, y, _, chain = self.links[k]
        return text.product_names[p], text.product_names[q], f"{x} → {y}" + (f" ({chain})" if chain else "")

    @cached_property
    def _arrays(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """The links as (supplier row, buyer row, weight) arrays over ``names``."""
        at = {x: k for k, x in enumerate(self.names)}
        return (np.array([at[a] for a, _, _, _ in self.links], dtype=np.int64),
                np.array([at[b] for _, b, _, _ in self.links], dtype=np.int64),
                np.array([w for _, _, w, _ in self.links], dtype=np.float64))
