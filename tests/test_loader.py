"""Loading data folders: exact results on a tiny folder, every kind of bad input, and a load killed halfway."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chainmatch.errors import LoadError
from chainmatch.loader import load_folder
from chainmatch.stores.base import Store
from chainmatch.stores.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text.strip() + "\n", encoding="utf-8")
    return folder


def tiny_files() -> dict[str, str]:
    """One zone, a level-1 grid holding a level-3 grid, two firms, a chief, a branch and a trade."""
    return {
        "zones.csv": "id,name,kind\nLH,漯河经济技术开发区,etdz",
        "grids.csv": "id,name,level,kind,type,zone_id,parent_id\n"
                     "G1,一号片区,1,exclusive,block,LH,\n"
                     "G3,利通网格,三级网格(责任网格),专属网格,point,LH,G1",
        "people.csv": "id,name,role,organ,zone_id\nP1,网格长甲,grid_chief,区发改委,LH",
        "grid_staff.csv": "from_id,to_id,since\nP1,G3,2023-03-01",
        "enterprises.csv": "id,name,short_name,aliases,products,industry_codes,scale,employees,zone_id,grid_id\n"
                           "E1,漯河利通液压科技股份有限公司,利通,利通科技;利通液压,高压灭菌设备;液压胶管,3444,above,900,LH,G3\n"
                           "E2,漯河亿家馨食品有限公司,亿家馨,,肉制品,1353,below,120,LH,G3",
        "party_organizations.csv": "id,name,kind,members,zone_id,enterprise_id,grid_ids\n"
                                   "PO1,利通公司党支部,branch,35,LH,E1,G3",
        "trades.csv": "from_id,to_id,product\nE1,E2,高压灭菌设备",
    }


@pytest.fixture
def db(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore.open(tmp_path / "t.db")


def test_tiny_folder_loads_exactly(db: SQLiteStore, tmp_path: Path) -> None:
    summary = load_folder(db, write_folder(tmp_path / "d", tiny_files()))
    counts = db.counts()
    assert counts.nodes["Enterprise"] == 2 and counts.nodes["Grid"] == 2 and counts.nodes["Product"] == 3
    assert counts.rels["PRODUCES"] == 3 and counts.rels["IN_INDUSTRY"] == 2 and counts.rels["SUPPLIES"] == 1
    assert summary.rows["enterprises.csv"] == 2 and summary.products_created == 3
    e1 = db.get("Enterprise", ["E1"])["E1"]
    assert e1.props["aliases"] == ["利通科技", "利通液压"] and e1.props["employees"] == 900
    g3 = db.get("Grid", ["G3"])["G3"]
    assert g3.props["level"] == "3" and g3.props["kind"] == "exclusive"  # Chinese labels become codes
    assert [e.node.id for e in db.edges("Grid", ["G3"], "CHIEF_OF", "in")["G3"]] == ["P1"]
    assert [e.node.id for e in db.edges("Grid", ["G3"], "PART_OF")["G3"]] == ["G1"]


def test_loading_twice_changes_nothing(db: SQLiteStore, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", tiny_files())
    load_folder(db, folder)
    first = db.counts()
    load_folder(db, folder)
    assert db.counts() == first


def test_reload_moves_a_firm_instead_of_adding_a_second_grid(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    load_folder(db, write_folder(tmp_path / "a", files))
    files["enterprises.csv"] = files["enterprises.csv"].replace(",LH,G3\nE2", ",LH,G1\nE2")
    load_folder(db, write_folder(tmp_path / "b", files))
    assert [e.node.id for e in db.edges("Enterprise", ["E1"], "IN_GRID")["E1"]] == ["G1"]


def _problems(store: Store, tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(LoadError) as info:
        load_folder(store, write_folder(tmp_path / "bad", files))
    assert store.counts().nodes.get("Enterprise") is None  # nothing half-written
    return [str(p) for p in info.value.problems]


def test_dangling_reference_names_file_line_field_value(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["grid_staff.csv"] = "from_id,to_id\nP1,G3\nP1,G999"
    expected = (
        "grid_staff.csv line 3, field 'to_id': value 'G999' is not the id of a Grid in this folder "
        "or already in the store"
    )
    assert _problems(db, tmp_path, files) == [expected]


def test_missing_key_wrong_type_and_bad_enum(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["enterprises.csv"] = (
        "id,name,employees,scale\n"
        ",无编号企业,10,above\n"
        "E5,某企业,很多,above\n"
        "E6,另一企业,5,huge"
    )
    got = _problems(db, tmp_path, files)
    assert "enterprises.csv line 2, field 'id': value '' is not empty: id (编号(有统一社会信用代码时即为该代码)) is required" in got
    assert "enterprises.csv line 3, field 'employees': value '很多' is not an integer" in got
    assert "enterprises.csv line 4, field 'scale': value 'huge' is not one of above, below (or 规上, 规下)" in got


def test_duplicate_uscc_and_duplicate_id(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["enterprises.csv"] = (
        "id,name,uscc\n"
        "A,甲公司,91350100M000100Y43\n"
        "B,乙公司,91350100M000100Y43\n"
        "A,甲公司重复,\n"
        "C,丙公司,91350100M000100Y44"
    )
    got = _problems(db, tmp_path, files)
    assert "enterprises.csv line 4, field 'id': value 'A' is not a new id: it is already used on line 2" in got
    assert "enterprises.csv line 3, field 'uscc': value '91350100M000100Y43' is not unique: Enterprise A already has it" in got
    assert any(p.startswith("enterprises.csv line 5, field 'uscc'") and "check digit" in p for p in got)


def test_duplicate_uscc_against_the_store(db: SQLiteStore, tmp_path: Path) -> None:
    load_folder(db, write_folder(tmp_path / "a", {"enterprises.csv": "id,name,uscc\nA,甲公司,91350100M000100Y43"}))
    with pytest.raises(LoadError) as info:
        load_folder(db, write_folder(tmp_path / "b", {"enterprises.csv": "id,name,uscc\nB,乙公司,91350100M000100Y43"}))
    assert "Enterprise A in the store already has it" in str(info.value)
    assert set(db.get("Enterprise", ["A", "B"])) == {"A"}


def test_unknown_file_column_and_industry_code(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["enterprise.csv"] = "id,name\nX,某"
    files["zones.csv"] = "id,name,mayor\nLH,漯河,某人"
    files["enterprises.csv"] = files["enterprises.csv"].replace(",3444,", ",3449,")
    got = _problems(db, tmp_path, files)
    assert any(p.startswith("enterprise.csv: value 'enterprise.csv' is not a known data file") for p in got)
    assert any(p.startswith("zones.csv line 1, field 'mayor'") for p in got)
    assert any(p.startswith("enterprises.csv line 2, field 'industry_codes': value '3449' is not a GB/T 4754-2017 code")
               for p in got)


def test_folder_that_does_not_exist(db: SQLiteStore, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="is not an existing folder"):
        load_folder(db, tmp_path / "nope")


def _big_folder(folder: Path, n: int) -> Path:
    rows = "\n".join(f"E{i:06d},合成企业{i}有限公司,产品{i % 97};零件{i % 13},LH" for i in range(n))
    return write_folder(folder, {
        "zones.csv": "id,name\nLH,漯河经济技术开发区",
        "enterprises.csv": "id,name,products,zone_id\n" + rows,
    })


def test_a_load_killed_halfway_leaves_the_store_consistent(tmp_path: Path) -> None:
    n = 60_000
    folder = _big_folder(tmp_path / "big", n)
    db_path = tmp_path / "kill.db"
    SQLiteStore.open(db_path).close()
    code = (
        "import sys; from pathlib import Path; from chainmatch.stores.sqlite import SQLiteStore; "
        "from chainmatch.loader import load_folder; "
        "load_folder(SQLiteStore.open(Path(sys.argv[1])), Path(sys.argv[2]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_path), str(folder)], cwd=ROOT)
    wal = Path(str(db_path) + "-wal")
    deadline = time.monotonic() + 120
    # Kill once the write transaction has started filling the log, i.e. in the middle of the write.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the load finished before it could be killed; make the folder bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    firms = conn.execute("SELECT count(*) FROM nodes WHERE label = 'Enterprise'").fetchone()[0]
    conn.close()
    assert firms == 0  # the transaction never committed: none of it is visible
    store = SQLiteStore.open(db_path)
    load_folder(store, folder)  # and the same load can simply be run again
    assert store.counts().nodes["Enterprise"] == n
    store.close()


def test_a_duplicated_header_is_refused_with_both_column_numbers(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["enterprises.csv"] = files["enterprises.csv"].replace("short_name,", "short_name,name,", 1).replace(
        "利通,利通科技", "利通,改名,利通科技").replace("亿家馨,,", "亿家馨,改名,,")
    problems = _problems(db, tmp_path, files)  # the file is not read further: its firms are then missing
    assert problems[0].startswith("enterprises.csv line 1, field 'name'")
    assert "column 2 and column 4" in problems[0]


def test_nul_and_control_characters_are_refused_with_their_position(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["enterprises.csv"] = files["enterprises.csv"].replace("漯河亿家馨", "漯河\x00亿家馨").replace("利通科技", "利通\x1b科技")
    problems = _problems(db, tmp_path, files)
    tail = " is not text without control characters (NUL and the like are not allowed in a CSV file)"
    assert problems == [
        "enterprises.csv line 2: value 'U+001B at character 24 of the line'" + tail,
        "enterprises.csv line 3: value 'U+0000 at character 6 of the line'" + tail,
    ]


def test_an_unclosed_quote_is_reported_at_the_line_it_opens(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["grids.csv"] += '\nG4,"四号网格,3,exclusive,point,LH,G1\nG5,五号网格,3,exclusive,point,LH,G1'
    problems = _problems(db, tmp_path, files)
    assert len(problems) == 1 and problems[0].startswith("grids.csv line 4: value '\"' is not a closed quote")
    # A quote closed further down, inside a cell: said at the line it opens, with the line it runs to.
    files = tiny_files()
    files["grids.csv"] += '\nG4,"四号网格,3,exclusive,point,LH,G1\nG5,五号"网格,3,exclusive,point,LH,G1'
    problems = _problems(db, tmp_path, files)
    assert len(problems) == 1 and problems[0].startswith("grids.csv line 4: value '\"' is not a closed quote")
    assert "runs to line 5" in problems[0]


def test_an_encoding_error_is_reported_at_its_line(db: SQLiteStore, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bad", tiny_files())
    text = (folder / "enterprises.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "enterprises.csv").write_bytes(text[0].encode() + "漯河利通".encode("gbk") + "".join(text[1:]).encode())
    with pytest.raises(LoadError) as info:
        load_folder(db, folder)
    problems = [str(p) for p in info.value.problems]
    assert problems[0].startswith("enterprises.csv line 2: value 'bytes ") and "UTF-8 text" in problems[0]


def test_a_full_disk_is_said_as_such_and_the_store_stays_intact(db: SQLiteStore, tmp_path: Path) -> None:
    from chainmatch.errors import StoreError

    load_folder(db, write_folder(tmp_path / "a", tiny_files()))
    before = db.counts()
    # SQLite's own page limit answers SQLITE_FULL exactly as a full disk does.
    pages = db._conn().execute("PRAGMA page_count").fetchone()[0]
    db._conn().execute(f"PRAGMA max_page_count={pages}")
    files = tiny_files()
    files["enterprises.csv"] += "".join(f"\nF{i},企业{i}{'很长的名字' * 40},,,,,,,LH,G3" for i in range(400))
    with pytest.raises(StoreError, match="disk holding the store .* is full") as info:
        load_folder(db, write_folder(tmp_path / "b", files))
    assert "no transaction is active" not in str(info.value) and info.value.details["reason"] == "disk_full"
    assert db.counts() == before


def test_product_shares_must_match_the_products(db: SQLiteStore, tmp_path: Path) -> None:
    files = tiny_files()
    files["enterprises.csv"] = (
        "id,name,products,product_shares\n"
        "E1,甲,,\nE2,乙,,\n"
        "E5,某企业,液压胶管;高压灭菌设备,0.9\n"
        "E6,另一企业,液压胶管;高压灭菌设备,0.9;很多\n"
        "E7,第三企业,液压胶管;高压灭菌设备,80%;20%"
    )
    got = _problems(db, tmp_path, files)
    assert any(p.startswith("enterprises.csv line 4, field 'product_shares': value '0.9' is not one share per product")
               for p in got), got
    assert any(p.startswith("enterprises.csv line 5, field 'product_shares': value '很多' is not a share from 0 to 1")
               for p in got), got
    assert not any("line 6" in p for p in got)


def test_a_firm_is_classified_by_its_main_business(db: SQLiteStore, tmp_path: Path) -> None:
    """The product with the larger revenue share decides, not the one listed first."""
    from chainmatch.knowledge.classify import ranked_candidates

    files = tiny_files()
    files["enterprises.csv"] = (
        "id,name,products,product_shares\n"
        "E1,甲,,\nE2,乙,,\n"
        "E5,某集团,高压灭菌设备;白酒;啤酒,0.05;0.6;0.35\n"
        "E6,空白企业,其他业务,1"
    )
    folder = write_folder(tmp_path / "d", files)
    load_folder(db, folder, classify=ranked_candidates)
    assert [e.node.id[:2] for e in db.edges("Enterprise", ["E5"], "IN_INDUSTRY")["E5"]] == ["15"]
    assert db.edges("Enterprise", ["E6"], "IN_INDUSTRY")["E6"] == []  # nothing confident: no code
