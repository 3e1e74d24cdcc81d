"""Ranking on a tiny zone whose answers are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.loader import load_folder
from chainmatch.matching.index import MatchIndex, build_index
from chainmatch.matching.ranking import (
    DEFAULT_WEIGHTS,
    FEATURES,
    Filters,
    RankingModel,
    load_model,
    recommend,
    save_model,
    warm,
)
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import write_folder


def sterilizer_zone() -> dict[str, str]:
    """Maker M (food machinery, 3531) in zone Z; food firms F1 (same committee), F3 (open need for sterilizers),
    F2 outside the zone; steel firm S and an empty firm E that nothing links to."""
    return {
        "zones.csv": "id,name\nZ,漯河经济技术开发区",
        "grids.csv": "id,name,level,kind,zone_id\nG,食品网格,3,exclusive,Z",
        "people.csv": "id,name,role,zone_id\nP,网格长甲,grid_chief,Z",
        "grid_staff.csv": "from_id,to_id\nP,G",
        "enterprises.csv": (
            "id,name,short_name,products,industry_codes,output_value,zone_id,grid_id\n"
            "M,漯河利通液压科技股份有限公司,利通,高压灭菌设备,3531,120000,Z,G\n"
            "F1,漯河亿家馨食品有限公司,亿家馨,肉制品,1353,30000,Z,G\n"
            "F2,外地罐头食品有限公司,外地罐头,肉罐头,1451,30000,,\n"
            "F3,漯河某某食品有限公司,某某食品,火腿肠,1353,20000,Z,\n"
            "S,漯河钢材有限公司,钢材,钢板,3130,50000,Z,\n"
            "E,漯河空白有限公司,空白,,,,Z,"
        ),
        "party_organizations.csv": (
            "id,name,kind,zone_id,parent_id,enterprise_id\n"
            "C,食品产业综合党委,comprehensive,Z,,\n"
            "B1,利通党支部,branch,Z,C,M\n"
            "B2,亿家馨党支部,branch,Z,C,F1"
        ),
        "needs.csv": (
            "id,title,kind,product,status,posted_on,zone_id,enterprise_id\n"
            "N1,采购高压杀菌设备,supply,杀菌设备,open,2024-05-01,Z,F3"
        ),
    }


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> MatchIndex:
    tmp = tmp_path_factory.mktemp("rank")
    store = SQLiteStore.open(tmp / "r.db")
    load_folder(store, write_folder(tmp / "d", sterilizer_zone()))
    idx = build_index(store)
    store.close()
    return idx


def ids(result: object) -> list[str]:
    return [item.id for item in result.items]  # type: ignore[attr-defined]


def test_buyers_of_a_sterilizer_maker_are_the_food_firms(index: MatchIndex) -> None:
    result = recommend(index, "M", direction="buyers", top=10)
    assert ids(result) == ["F3", "F1", "F2"]  # open need first; then same committee and grid; outside last
    first = result.items[0]
    assert first.contributions["open_need"] == 1.5
    assert "设备用户规则 3531" in first.path and first.path.startswith("利通 生产「高压灭菌设备」")
    assert any("采购高压杀菌设备" in r for r in first.reasons)
    second = result.items[1]
    assert "party_channel" in second.contributions and "same_grid" in second.contributions
    assert "网格长 网格长甲 (食品网格)" in second.introducers and "党组织 食品产业综合党委" in second.introducers


def test_scope_and_filters(index: MatchIndex) -> None:
    assert ids(recommend(index, "M", direction="buyers", scope="zone")) == ["F3", "F1"]
    assert ids(recommend(index, "M", direction="buyers", scope="outside")) == ["F2"]
    assert ids(recommend(index, "M", direction="buyers", filters=Filters(has_party=True))) == ["F1"]
    assert ids(recommend(index, "M", direction="buyers", filters=Filters(grid="G"))) == ["F1"]


def test_suppliers_of_a_food_firm_include_the_machine_maker(index: MatchIndex) -> None:
    assert "M" in ids(recommend(index, "F1", direction="suppliers", top=10))
    assert "S" not in ids(recommend(index, "M", direction="buyers", top=10))


def test_firm_without_data_gets_a_reason_not_a_list(index: MatchIndex) -> None:
    result = recommend(index, "E", direction="buyers")
    assert result.items == [] and "industry_codes" in (result.reason or "")


def test_bad_direction_scope_and_unknown_firm(index: MatchIndex) -> None:
    with pytest.raises(InvalidRequest, match="buyers, suppliers, partners"):
        recommend(index, "M", direction="sideways")
    with pytest.raises(InvalidRequest, match="zone, outside, all"):
        recommend(index, "M", scope="everywhere")
    with pytest.raises(NotFound):
        recommend(index, "nope")


def test_known_trade_partners_are_not_recommended(index: MatchIndex) -> None:
    hidden = index.without_trades([])
    hidden.trade_out[index.pos["M"]] = np.array([index.pos["F1"]], dtype=np.int32)
    assert "F1" not in ids(recommend(hidden, "M", direction="buyers"))


def test_trained_weights_round_trip_and_change_the_ranking(index: MatchIndex, tmp_path: Path) -> None:
    X = np.zeros((8, len(FEATURES)))
    X[:4, FEATURES.index("same_grid")] = 1  # outcomes: firms in the maker's grid signed,
    X[4:, FEATURES.index("open_need")] = 1  # firms that had only posted a need declined
    model = RankingModel(C=10.0).fit(X, np.array([1, 1, 1, 1, 0, 0, 0, 0]), np.zeros(8, dtype=int))
    w = dict(zip(FEATURES, model.weights_))
    assert w["open_need"] == 0.0 and w["same_grid"] == pytest.approx(2 * 0.3)  # bounded by the default
    assert w["link_equipment"] == DEFAULT_WEIGHTS["link_equipment"]  # never varied: default kept
    save_model(model, tmp_path / "m.json", summary={"projects": 8})
    loaded = load_model(tmp_path / "m.json")
    assert loaded is not None
    weights, description = loaded
    assert np.allclose(weights, model.weights_) and "8 project outcomes" in description
    assert ids(recommend(index, "M", direction="buyers", weights=weights))[0] == "F1"


def test_recommend_for_a_product_text(index: MatchIndex) -> None:
    from chainmatch.matching.ranking import recommend_for_text

    result = recommend_for_text(index, "食品杀菌设备", direction="buyers", zone_id="Z")
    # as for the maker itself: same knowledge, no firm needed (the zone's other equipment maker, linked by the
    # input-output table's diagonal, may come between them)
    assert ids(result)[:2] == ["F3", "F1"] and "F2" in ids(result)
    assert result.items[0].path.startswith("「食品杀菌设备」 (3531")
    assert recommend_for_text(index, "hello").reason is not None
    with pytest.raises(NotFound):
        recommend_for_text(index, "食品杀菌设备", zone_id="NOPE")


def test_recommend_for_a_need(index: MatchIndex) -> None:
    from chainmatch.matching.ranking import recommend_for_need

    result = recommend_for_need(index, "N1")  # F3 seeks supply of 杀菌设备: suppliers, the maker first
    assert result.direction == "suppliers" and ids(result)[0] == "M"
    assert result.items[0].path.startswith("某某食品 需要「杀菌设备」 (3531") and result.items[0].contributions["open_need"] == 1.5
    with pytest.raises(NotFound):
        recommend_for_need(index, "N404")


def test_merging_findings_keeps_each_firms_best_value_and_strongest_first_link() -> None:
    from chainmatch.matching.ranking import _F, _Pool

    pool = _Pool()
    pool.links = [(0.5, "io", "a", "", "b", ""), (1.0, "io", "a", "", "c", ""), (1.0, "io", "a", "", "d", "")]
    pool.add(np.array([7, 3], dtype=np.int32), _F["link_io"], 0.5, 0)
    pool.add(np.array([3, 9], dtype=np.int32), _F["link_io"], 1.0, 1)
    pool.add(np.array([9, 7], dtype=np.int32), _F["link_io"], 1.0, 2)  # as strong as link 1: the first one stays
    pool.add(np.array([9, 3], dtype=np.int32), _F["trade_neighbourhood"], np.array([0.2, 0.7]))
    slots = np.full(12, -1, dtype=np.int32)
    firms, X, best = pool.merge(slots)
    assert firms.tolist() == [3, 7, 9]
    assert X[:, _F["link_io"]].tolist() == [1.0, 1.0, 1.0]
    assert X[:, _F["trade_neighbourhood"]].tolist() == [0.7, 0.0, 0.2]
    assert best.tolist() == [1, 2, 1]
    assert (slots == -1).all()  # the scratch array is left as it was found


def test_warming_reads_the_knowledge_of_every_code_of_the_firms_once(index: MatchIndex) -> None:
    from chainmatch.matching.ranking import _links

    _links.cache_clear()
    codes = {c for cs in index.codes for c in cs if ":" not in c}
    assert warm(index) == len(codes) > 0
    assert _links.cache_info().currsize == 2 * len(codes)  # buyers and suppliers of each
    before = _links.cache_info().misses
    for pos in range(index.n):
        recommend(index, index.ids[pos], direction="suppliers", top=3)
    assert _links.cache_info().misses == before  # no query had to read the knowledge any more


def test_warming_makes_what_the_first_query_would_make(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "w.db")
    load_folder(store, write_folder(tmp_path / "d", sterilizer_zone()))
    index = build_index(store)
    store.close()
    lazy = ("diffuse", "id_rank", "_grid_members", "_chain_segments")
    assert not any(name in index.__dict__ for name in lazy) and "supply_asks" not in index.memo
    warm(index)
    made = {name: index.__dict__[name] for name in lazy}
    asks = index.memo["supply_asks"]
    recommend(index, index.ids[0], direction="buyers", top=3)
    assert all(index.__dict__[name] is made[name] for name in lazy)  # the query made none of them again
    assert index.memo["supply_asks"] is asks
