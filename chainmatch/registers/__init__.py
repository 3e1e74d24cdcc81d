"""Zone registers (台账): importing .xlsx and CSV registers with Chinese headers, Excel templates, and the
lists staff report upward exported as Excel.

- :func:`import_register` / :func:`plan_import` (``importing``): read, check and report a register, then
  write it through the loader's checks in one transaction;
- :class:`HeaderDictionary` (``headers``): which column a Chinese header stands for, and user mapping files;
- :func:`read_sheets` (``sheets``): .xlsx and CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) into text cells;
- :func:`format_report` (``report``): the report before anything is written, as Chinese text or JSON.
"""

from chainmatch.registers.headers import KINDS, HeaderDictionary, normalize_header, read_mapping
from chainmatch.registers.importing import import_register, normalize_name, plan_import
from chainmatch.registers.report import ImportReport, RegisterProblem, format_report
from chainmatch.registers.sheets import Sheet, read_sheets

__all__ = [
    "KINDS",
    "HeaderDictionary",
    "ImportReport",
    "RegisterProblem",
    "Sheet",
    "format_report",
    "import_register",
    "normalize_header",
    "normalize_name",
    "plan_import",
    "read_mapping",
    "read_sheets",
]
