"""The GB/T 4754-2017 industry classification (国民经济行业分类): 门类, 大类, 中类 and 小类 with their names."""

from __future__ import annotations

import csv
import difflib
import functools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chainmatch.errors import UnknownIndustryCode

__all__ = [
    "LEVEL_NAMES",
    "Industries",
    "Industry",
    "check_code",
    "load_industries",
    "normalize_code",
]

#: Level number → Chinese level name, as used by the standard.
LEVEL_NAMES: dict[int, str] = {1: "门类", 2: "大类", 3: "中类", 4: "小类"}

# Next to the module rather than importlib.resources: works the same installed, editable or from a checkout.
_DATA_FILE = Path(__file__).parent.parent / "data" / "gbt4754_2017.csv"


@dataclass(frozen=True)
class Industry:
    """One entry of GB/T 4754-2017.

    ``code`` is a 门类 letter (``"C"``) or 2, 3 or 4 digits (大类, 中类, 小类); ``parent`` is the code one level up
    (``None`` for a 门类); ``description`` is the standard's explanatory note, often empty for 小类.
    """

    code: str
    name: str
    parent: str | None
    level: int
    level_name: str
    description: str


class Industries:
    """The loaded catalogue, indexed by code; build it with :func:`load_industries`.

    Parameters
    ----------
    industries : iterable of Industry
        Every entry, parents before or after their children (order is kept for iteration).

    Examples
    --------
    >>> ind = load_industries()
    >>> ind.get("3531").name
    '食品、酒、饮料及茶生产专用设备制造'
    >>> [i.code for i in ind.ancestors("3531")]
    ['353', '35', 'C']
    >>> "C3531" in ind, "3530" in ind
    (True, False)
    """

    def __init__(self, industries: list[Industry]) -> None:
        self._by_code: dict[str, Industry] = {i.code: i for i in industries}
        self._children: dict[str, list[str]] = {}
        # Sorted by code: the source file is not (a few late additions sit at its end).
        for i in sorted(industries, key=lambda i: i.code):
            if i.parent is not None:
                self._children.setdefault(i.parent, []).append(i.code)

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Industry]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize_code(code) in self._by_code

    def get(self, code: str) -> Industry:
        """Return the industry for ``code`` (``'C3531'`` and ``' 3531 '`` are accepted).

        Raises
        ------
        UnknownIndustryCode
            If the code is not in GB/T 4754-2017; ``candidates`` holds the nearest valid codes.

        Examples
        --------
        >>> load_industries().get("c").name
        '制造业'
        """
        found = self._by_code.get(normalize_code(code))
        if found is None:
            raise UnknownIndustryCode(
                f"'{code}' is not a GB/T 4754-2017 code.", candidates=self.nearest(code)
            )
        return found

    def at_level(self, level: int) -> list[Industry]:
        """Return every industry of one level (1 门类 … 4 小类), in code order.

        >>> len(load_industries().at_level(4))
        1381
        """
        return sorted((i for i in self._by_code.values() if i.level == level), key=lambda i: i.code)

    def children(self, code: str) -> list[Industry]:
        """Return the direct children of ``code`` (empty for a 小类).

        >>> [i.code for i in load_industries().children("353")]
        ['3531', '3532', '3533', '3534']
        """
        parent = self.get(code).code
        return [self._by_code[c] for c in self._children.get(parent, [])]

    def ancestors(self, code: str) -> list[Industry]:
        """Return the parents of ``code``, nearest first, ending with its 门类."""
        out: list[Industry] = []
        parent = self.get(code).parent
        while parent is not None:
            industry = self._by_code[parent]
            out.append(industry)
            parent = industry.parent
        return out

    def leaves_under(self, code: str) -> list[Industry]:
        """Return the 小类 under ``code`` (itself if it is a 小类), in code order.

        >>> [i.code for i in load_industries().leaves_under("252")]
        ['2521', '2522', '2523', '2524', '2529']
        """
        top = self.get(code)
        if top.level == 4:
            return [top]
        out: list[Industry] = []
        stack = list(reversed(self._children.get(top.code, [])))
        while stack:
            industry = self._by_code[stack.pop()]
            if industry.level == 4:
                out.append(industry)
            else:
                stack.extend(reversed(self._children.get(industry.code, [])))
        return out

    def section_of(self, code: str) -> Industry:
        """Return the 门类 (section) that ``code`` belongs to.

        >>> load_industries().section_of("C1952").name
        '制造业'
        """
        industry = self.get(code)
        while industry.parent is not None:
            industry = self._by_code[industry.parent]
        return industry

    def nearest(self, code: str, *, limit: int = 5) -> list[str]:
        """Return up to ``limit`` valid codes closest to a wrong ``code``.

        Codes of the same length sharing the longest prefix come first, numerically nearest first; then codes
        that look alike (difflib), so typos such as transposed digits are caught.

        >>> load_industries().nearest("3538")
        ['3534', '3533', '3532', '3531']
        """
        wanted = normalize_code(code)
        if not wanted:
            return []
        same_length = [c for c in self._by_code if len(c) == len(wanted)]

        def common_prefix(c: str) -> int:
            n = 0
            for a, b in zip(c, wanted):
                if a != b:
                    break
                n += 1
            return n

        def distance(c: str) -> int:
            return abs(int(c) - int(wanted)) if c.isdigit() and wanted.isdigit() else 0

        scored = [(common_prefix(c), c) for c in same_length]
        best = max((p for p, _ in scored), default=0)
        out: list[str] = []
        if best > 0:
            out = sorted((c for p, c in scored if p == best), key=lambda c: (distance(c), c))[:limit]
        if best >= len(wanted) - 1 and out:
            return out  # only the last character is wrong: the siblings are the answer
        del out[3:]
        for c in difflib.get_close_matches(wanted, same_length or list(self._by_code), n=limit, cutoff=0.5):
            if len(out) >= limit:
                break
            if c not in out:
                out.append(c)
        return out


def normalize_code(code: str) -> str:
    """Return ``code`` in the catalogue's form: no spaces, upper-case letter, no 门类 prefix before digits.

    The prefix is dropped only when it is the right 门类 for the digits ('C3531' → '3531'); a wrong one
    ('A3531') is kept, so the code is refused instead of silently accepted.

    >>> normalize_code(" c3531 "), normalize_code("Ｃ３５３１"), normalize_code("a3531"), normalize_code("f")
    ('3531', '3531', 'A3531', 'F')
    """
    text = "".join(unicodedata.normalize("NFKC", code).split()).upper()
    is_prefixed = len(text) >= 3 and text[0].isalpha() and text[1:].isdigit()
    if is_prefixed and _SECTION_OF_DIVISION.get(text[1:3]) == text[0]:
        return text[1:]
    return text


def check_code(code: str) -> str:
    """Return the normalized ``code`` if it exists in GB/T 4754-2017, else raise.

    Raises
    ------
    UnknownIndustryCode
        With ``candidates``: the nearest valid codes, to offer to the user.

    Examples
    --------
    >>> check_code("C3531")
    '3531'
    >>> check_code("3530")
    Traceback (most recent call last):
    ...
    chainmatch.errors.UnknownIndustryCode: '3530' is not a GB/T 4754-2017 code. Closest matches: 3531, 3532, 3533, 3534.
    """
    return load_industries().get(code).code


@functools.cache
def load_industries() -> Industries:
    """Read the shipped GB/T 4754-2017 table once and return the catalogue (cached).

    >>> len(load_industries())
    1971
    """
    text = _DATA_FILE.read_text(encoding="utf-8")
    industries = [
        Industry(
            code=row["code"],
            name=row["name"],
            parent=row["parent_code"] or None,
            level=int(row["level"]),
            level_name=row["level_name"],
            description=row["description"].strip(),
        )
        for row in csv.DictReader(text.splitlines())
    ]
    return Industries(industries)


# Which 门类 each 大类 belongs to, from the standard's ranges; fixed by the standard, so kept here rather than
# read from the file (normalize_code needs it before any file is read).
_SECTION_RANGES = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}  # fmt: skip
_SECTION_OF_DIVISION = {
    f"{d:02d}": letter for letter, (lo, hi) in _SECTION_RANGES.items() for d in range(lo, hi + 1)
}
