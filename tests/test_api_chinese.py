"""Every JSON error carries a Chinese ``message`` (for people) and the English one in ``message_en`` (for machines):
the errors of the library's known shapes are translated with their values, the rest get a Chinese sentence for
their kind."""

from __future__ import annotations

import re
from pathlib import Path

from chainmatch.messages import is_chinese
from tests.world import client_for


def _checked(r: object) -> dict[str, object]:
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert is_chinese(str(body["message"])), body
    assert body["message_en"] and not is_chinese(str(body["message_en"])), body
    return body


def test_the_errors_people_meet_most_are_chinese_with_their_values(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, headers):
        admin, chief = headers["admin"], headers["grid_chief"]
        cases = [
            (client.get("/enterprises"), 401, "没有提供接口令牌"),
            (client.get("/enterprises", headers={"Authorization": "Bearer cm_Tnope.x"}), 401, "令牌无效"),
            (client.get("/enterprises/E9", headers=chief), 403, "「E9」不在当前令牌的管辖范围内"),
            (client.post("/projects", headers=headers["viewer"], json={"parties": [
                {"enterprise_id": "E1", "role": "supplier"}, {"enterprise_id": "E2", "role": "buyer"}]}),
             403, "角色「只读」不能执行这项操作"),
            (client.get("/grids/G77", headers=admin), 404, "没有编号为「G77」的网格"),
            (client.get("/enterprises/利通液压科技有限", headers=admin), 404, "没有名为「利通液压科技有限」的企业"),
            (client.get("/no/such/path", headers=admin), 404, "没有这个接口：/no/such/path"),
            (client.delete("/enterprises", headers=admin), 405, "不接受 DELETE 请求"),
            (client.get("/enterprises?limit=500", headers=admin), 422, "参数 query.limit 应不大于 200"),
            (client.get("/needs?kind=nothing", headers=admin), 422, "buyers（找买家）"),
            (client.post("/needs", headers=admin, json={"enterprise_id": "E1", "kind": "land"}), 422,
             "参数 body.title 缺少必填项"),
            (client.post("/needs", headers=admin, content=b"\xff\xfe"), 422, "参数 body 应为 JSON 对象"),
            (client.post("/needs", headers={**admin, "Content-Type": "application/json"}, content=b"{\xff"), 422,
             "无法读取请求内容"),
            (client.get("/enterprises?token=cm_Tabc.def", headers=admin), 400, "查询字符串中带有密钥"),
            (client.post("/needs", headers={**admin, "Content-Length": str(10**9)}, content=b"{}"), 413,
             "CHAINMATCH_MAX_BODY_BYTES"),
        ]
        for response, status, words in cases:
            assert response.status_code == status, (status, response.text)
            body = _checked(response)
            assert words in str(body["message"]), (words, body)
        # A transition that is not allowed names the statuses in Chinese, with their codes.
        made = client.post("/projects", headers=admin, json={"parties": [
            {"enterprise_id": "E1", "role": "supplier"}, {"enterprise_id": "E2", "role": "buyer"}]}).json()
        r = client.post(f"/projects/{made['id']}/status", headers=admin, json={"status": "signed"})
        body = _checked(r)
        assert r.status_code == 409 and "当前为「已推荐」，不能改为「已签约」" in str(body["message"])
        assert "contacted（已联系）" in str(body["message"]) and body["details"]["allowed"]  # type: ignore[index]
        r = client.post(f"/projects/{made['id']}/status", headers=admin, json={"status": "contacted"})
        assert r.status_code == 409 and "还没有人认领" in _checked(r)["message"]  # type: ignore[operator]


def test_every_read_route_answers_unknown_ids_in_chinese(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, headers):
        paths = client.get("/openapi.json").json()["paths"]
        seen = 0
        for path, ops in paths.items():
            if "get" not in ops:
                continue
            url = re.sub(r"\{[^}]+\}", "NOPE-404", path)
            for who in (None, headers["grid_chief"], headers["admin"]):
                r = client.get(url, headers=who or {})
                if r.status_code >= 400 and r.headers["content-type"].startswith("application/json"):
                    _checked(r)
                    seen += 1
        assert seen > 30  # every path without a token (401), and the unknown ids


def test_enumerations_take_codes_or_chinese_labels_and_answers_carry_both(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, headers):
        admin = headers["admin"]
        need = client.post("/needs", headers=admin, json={"enterprise_id": "E2", "title": "找设备", "kind": "找供应",
                                                          "product": "灭菌设备"})
        assert need.status_code == 201, need.text
        assert (need.json()["kind"], need.json()["kind_label"], need.json()["status_label"]) == ("supply", "找供应",
                                                                                                 "待对接")
        listed = client.get("/needs", headers=admin, params={"kind": "找买家", "status": "待对接"}).json()["items"]
        assert [n["id"] for n in listed] == ["N1"]
        assert [n["id"] for n in client.get("/needs", headers=admin, params={"kind": "buyers"}).json()["items"]] \
            == ["N1"]
        made = client.post("/projects", headers=admin, json={"origin": "推荐", "parties": [
            {"enterprise_id": "E1", "role": "供方"}, {"enterprise_id": "E2", "role": "需方"}]})
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["origin"] == "recommendation" and body["status_label"] == "已推荐"
        assert sorted((p["role"], p["role_label"]) for p in body["parties"]) == [("buyer", "需方"),
                                                                                 ("supplier", "供方")]
        assert body["next_status_labels"] == ["已联系", "已拒绝", "已放弃"]
        dropped = client.post(f"/projects/{body['id']}/status", headers=admin, json={"status": "已放弃"})
        assert dropped.status_code == 200 and dropped.json()["status"] == "dropped"
        assert dropped.json()["steps"][-1]["status_label"] == "已放弃"
        assert client.get("/projects", headers=admin, params={"status": "已放弃"}).json()["items"][0]["id"] \
            == body["id"]
        recs = client.get("/enterprises/E1/recommendations", headers=admin, params={"direction": "买家",
                                                                                    "scope": "本开发区"})
        assert recs.status_code == 200 and recs.json()["direction"] == "buyers" and recs.json()["scope"] == "zone"
        r = client.get("/needs", headers=admin, params={"kind": "找朋友"})
        assert r.status_code == 422 and "找买家" in r.json()["message"]
        # The OpenAPI description lists both, so that clients know the labels are taken.
        spec = client.get("/openapi.json").json()
        kinds = str(spec["components"]["schemas"]["NeedCreate"]["properties"]["kind"])
        assert "supply" in kinds and "找供应" in kinds
