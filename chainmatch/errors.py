"""The one error tree of chainmatch: every failure a user can cause or meet has a class here.

Messages say what went wrong, where (file, line, field, value, path, URI) and how to fix it.
Callers translate foreign errors at the point they are caught (``raise ... from e``) so the
cause is kept; the CLI prints ``str(error)`` and the API maps classes to status codes.

::

    ChainmatchError
    ├── ConfigError            a setting has a value that cannot work
    ├── StoreError             the store cannot be opened, read or written
    │   └── StoreUnavailable   the store is down or unreachable (retry later)
    ├── SchemaError            the graph schema itself is inconsistent
    ├── DataError              input data is invalid
    │   ├── LoadError          a seed/data folder failed validation (holds every problem found)
    │   └── RegisterError      a register (台账, .xlsx or .csv) cannot be imported (holds its report)
    ├── NotFound               an id or name matches nothing (holds close matches)
    │   └── UnknownIndustryCode  not a GB/T 4754-2017 code (holds the nearest valid codes)
    ├── Ambiguous              a name matches several records (holds the candidates)
    ├── InvalidRequest         an argument is not one of the allowed values
    ├── Conflict               the write contradicts the current state (duplicate, illegal transition)
    └── PermissionDenied       the caller's role or grids do not allow this
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Ambiguous",
    "ChainmatchError",
    "ConfigError",
    "Conflict",
    "DataError",
    "InvalidRequest",
    "LoadError",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "RegisterError",
    "SchemaError",
    "StoreError",
    "StoreUnavailable",
    "UnknownIndustryCode",
]


class ChainmatchError(Exception):
    """Base class of every error chainmatch raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = details or {}


class ConfigError(ChainmatchError):
    code = "config_error"


class StoreError(ChainmatchError):
    code = "store_error"


class StoreUnavailable(StoreError):
    code = "store_unavailable"


class SchemaError(ChainmatchError):
    code = "schema_error"


class DataError(ChainmatchError):
    code = "invalid_data"


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located precisely enough to fix it.

    >>> str(Problem("grids.csv", 7, "level", "4", "an integer from 1 to 3"))
    "grids.csv line 7, field 'level': value '4' is not an integer from 1 to 3"
    """

    file: str
    line: int
    field: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: value '{self.value}' is not {self.expected}"


class LoadError(DataError):
    """A data folder failed validation; nothing was written."""

    code = "load_failed"

    def __init__(self, problems: Sequence[Problem], *, limit: int = 20) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{len(self.problems)} problem(s) found; nothing was written. "
            f"Fix the files and run the load again:\n{shown}{tail}",
            details={"problems": [p.__dict__ for p in self.problems[:limit]]},
        )


class RegisterError(DataError):
    """A register (台账) cannot be imported as it is; ``report`` (a ``chainmatch.registers.ImportReport``) says
    every problem with its sheet, row, column header and value. Nothing was written."""

    code = "register_invalid"

    def __init__(self, message: str, *, report: object | None = None,
                 details: dict[str, object] | None = None) -> None:
        self.report = report
        super().__init__(message, details=details)


class NotFound(ChainmatchError):
    """Nothing matches; ``candidates`` holds the closest matches, if any."""

    code = "not_found"

    def __init__(self, message: str, *, candidates: Sequence[str] = ()) -> None:
        self.candidates = list(candidates)
        if self.candidates:
            message += " Closest matches: " + ", ".join(self.candidates) + "."
        super().__init__(message, details={"candidates": self.candidates})


class UnknownIndustryCode(NotFound):
    code = "unknown_industry_code"


class Ambiguous(ChainmatchError):
    """Several records match; ``candidates`` lists them so the caller can pick one."""

    code = "ambiguous"

    def __init__(self, message: str, *, candidates: Sequence[str]) -> None:
        self.candidates = list(candidates)
        super().__init__(
            message + " Candidates: " + ", ".join(self.candidates) + ". Use the full name or the id.",
            details={"candidates": self.candidates},
        )


class InvalidRequest(ChainmatchError):
    code = "invalid_request"


class Conflict(ChainmatchError):
    code = "conflict"


class PermissionDenied(ChainmatchError):
    code = "permission_denied"
