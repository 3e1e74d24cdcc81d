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
