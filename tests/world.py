"""A tiny named zone for the library and API tests, with the answers worked out by hand.

漯河经开区 (LH) has one level-1 grid G1 holding G3 (利通 and 汇龙) and G4 (亿家馨), and a second level-1
grid G9 (双汇). The 智能装备-食品 chain C1 runs 零部件 (S1, order 1) → 设备制造 (S2: 利通, 汇龙) →
食品加工 (S3: 亿家馨, 双汇); 利通 leads it. Only G3 has a party organization (PO1); G3 and G9 have chiefs.
利通 posted N1: buyers for its 高压灭菌设备 (2024-05-01, due 2024-05-06 by the 5-day feedback limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from chainmatch.access.auth import create_token
from chainmatch.loader import load_folder
from chainmatch.settings import Settings
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import write_folder

__all__ = ["TOKENS", "client_for", "open_world", "world_files"]


def world_files() -> dict[str, str]:
    return {
        "zones.csv": "id,name,kind\nLH,漯河经济技术开发区,etdz\nQZ,泉州经济技术开发区,etdz",
        "grids.csv": "id,name,level,kind,type,zone_id,parent_id\n"
                     "G1,一号片区,1,exclusive,block,LH,\n"
                     "G3,利通网格,3,exclusive,point,LH,G1\n"
                     "G4,亿家馨网格,3,exclusive,point,LH,G1\n"
                     "G9,双汇片区,1,exclusive,area,LH,\n"
                     "Q1,崇泰片,1,exclusive,block,QZ,",
        "people.csv": "id,name,role,organ,zone_id\n"
                      "P1,网格长甲,grid_chief,区发改委,LH\nP2,招商员乙,staff,招商局,LH\nP9,网格长丙,grid_chief,区财政局,LH",
        "grid_staff.csv": "from_id,to_id,since\nP1,G3,2023-03-01\nP9,G9,2023-03-01",
        "departments.csv": "id,name,zone_id\nD1,区金融办,LH",
        "chains.csv": "id,name,zone_id,leader_ids\nC1,智能装备-食品,LH,E1",
        "segments.csv": "id,name,stage,order,chain_id\n"
                        "S1,零部件,upstream,1,C1\nS2,设备制造,midstream,2,C1\nS3,食品加工,downstream,3,C1",
        "enterprises.csv": "id,name,short_name,aliases,products,industry_codes,scale,zone_id,grid_id,segment_ids\n"
                           "E1,漯河利通液压科技股份有限公司,利通,利通科技,高压灭菌设备;液压胶管,3444,above,LH,G3,S2\n"
                           "E2,漯河亿家馨食品有限公司,亿家馨,,肉制品,1353,below,LH,G4,S3\n"
                           "E3,漯河汇龙液压有限公司,汇龙液压,,液压缸,3444,above,LH,G3,S2\n"
                           "E9,河南双汇投资发展股份有限公司,双汇,,火腿肠,1353,above,LH,G9,S3\n"
                           "Q9,特步(中国)有限公司,特步,,运动鞋,1953,above,QZ,Q1,",
        "party_organizations.csv": "id,name,kind,members,zone_id,enterprise_id,grid_ids\n"
                                   "PO1,利通公司党支部,branch,35,LH,E1,G3",
        "needs.csv": "id,title,kind,product,status,posted_on,due_on,zone_id,enterprise_id\n"
                     "N1,高压灭菌设备找买家,buyers,高压灭菌设备,open,2024-05-01,2024-05-06,LH,E1\n"
                     "N2,扩建用地,land,,open,2024-05-01,2024-05-04,LH,E9",
        "resources.csv": "id,title,kind,product,zone_id,provider_id\n"
                         "R1,食品企业设备采购对接,buyers,灭菌设备,LH,E2\nR2,园区企业贷款,finance,,LH,D1",
    }


TOKENS = {  # role → (grids, person)
    "admin": ((), None),
    "staff": ((), "P2"),
    "grid_chief": (("G3",), "P1"),
    "chief_g1": (("G1",), "P1"),
    "viewer": ((), None),
}


@contextmanager
def open_world(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(tmp_path / "world.db")
    load_folder(store, write_folder(tmp_path / "world", world_files()))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def client_for(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """The app on the world's store and a header per role in ``TOKENS`` (chief_g1: a chief of G1 and below)."""
    headers = {}
    with open_world(tmp_path) as store:
        for name, (grids, person) in TOKENS.items():
            role = "grid_chief" if name.startswith("chief") else name
            new = create_token(store, role=role, name=name, grids=grids, person_id=person)
            headers[name] = {"Authorization": f"Bearer {new.secret}"}
    with TestClient(create_app(Settings(db=tmp_path / "world.db", model_path=tmp_path / "model.json"))) as client:
        yield client, headers
