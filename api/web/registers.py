"""台账 ``/pages/registers`` (admins and staff): upload a register (.xlsx or CSV), read the dry-run report in Chinese
(every problem row with its sheet, row, column header, value and fix), then commit it; download the registers
staff report upward (企业名录, 需求清单 …) as one workbook. The same library calls as ``/registers/import`` and
``/registers/export``.

Between the report and the commit the uploaded file is kept beside the store file (``chainmatch-uploads/`` next to
``chainmatch.db``: any worker process may take the commit), under a random id, for the account that uploaded it
only, for an hour at most; committing or uploading again removes it.
"""

from __future__ import annotations

import io
import json
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from api.deps import SettingsDep, StoreDep, data_changed
from api.limits import BodyTooLarge
from api.web.session import CsrfRefused, FormDep, FormUnreadable, PageUser, PageUserDep, error_page, render
from api.web.views import today, zones_of
from chainmatch.access.sessions import check_csrf
from chainmatch.enterprises import display_name
from chainmatch.errors import PermissionDenied, RegisterError
from chainmatch.knowledge.classify import ranked_candidates
from chainmatch.registers.export import EXPORTS, export_registers
from chainmatch.registers.headers import KINDS
from chainmatch.registers.importing import IMPORT_ROLES, import_upload
from chainmatch.registers.report import ImportReport, kind_title
from chainmatch.settings import Settings

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_KEEP_SECONDS = 3600
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _check_role(user: PageUser) -> None:
    if user.who.role not in IMPORT_ROLES:
        raise PermissionDenied(f"Role '{user.who.role}' may not import registers; ask an admin or staff (招商人员).")


def _folder(settings: Settings) -> Path:
    return settings.db.with_name(f"{settings.db.stem}-uploads")


def _sweep(folder: Path) -> None:
    """Remove uploads older than an hour (their reports were never committed)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - _KEEP_SECONDS
    for f in folder.iterdir():
        try:
            if f.stat().st_mtime < cutoff:
                f.unlink()
        except OSError:
            pass


def _kinds() -> dict[str, str]:
    return {k: kind_title(k) for k in KINDS}


def _zones(store: Any, user: PageUser) -> dict[str, str]:
    ids = zones_of(store, user.who)
    nodes = store.get("Zone", ids) if ids else {}
    return {z: display_name(nodes[z]) for z in ids if z in nodes}


@router.get("/pages/registers", response_class=HTMLResponse)
def registers_page(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """台账: the upload form and the export form."""
    _check_role(user)
    return render(request, "registers.html", user=user, kinds=_kinds(), zones=_zones(store, user), exports=EXPORTS,
                  max_mb=request.app.state.settings.max_upload_bytes // 2**20)


def _report_page(request: Request, user: PageUser, report: ImportReport, *, upload: str = "",
                 status: int = 200) -> HTMLResponse:
    return render(request, "register_report.html", status_code=status, user=user, r=report, upload=upload,
                  kind_label=kind_title(report.kind))


async def _upload_form(request: Request, user: PageUser) -> tuple[dict[str, str], UploadFile | None]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise FormUnreadable
    try:
        form = await request.form(max_files=1, max_fields=10)
    except BodyTooLarge:
        raise
    except Exception as e:
        raise FormUnreadable from e
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not check_csrf(user.session.secret, fields.get("csrf", "")):
        raise CsrfRefused
    file = form.get("file")
    return fields, file if isinstance(file, UploadFile) else None


@router.post("/pages/registers/upload")  # under CHAINMATCH_MAX_UPLOAD_BYTES (api/limits.py UPLOAD_PATHS)
async def upload(request: Request, store: StoreDep, settings: SettingsDep, user: PageUserDep) -> Response:
    """Check an uploaded register and show its report; nothing is written yet."""
    _check_role(user)
    fields, file = await _upload_form(request, user)
    if file is None or not file.filename:
        return error_page(request, 422, "没有选择文件", "请选择要上传的台账文件（.xlsx 或 .csv）后再点“检查”。")
    try:
        data = await file.read()
    finally:
        await file.close()
    kind = fields.get("kind") or None
    zone = fields.get("zone") or None
    if (kind and kind not in KINDS) or (zone and zone not in _zones(store, user)):
        return error_page(request, 422, "输入有误", "台账类型或开发区不是可选的值，请从页面上的选项中选择。")
    name = Path(file.filename).name[:200]
    try:
        report = await to_thread.run_sync(lambda: import_upload(
            store, user.who, name, data, dry_run=True, max_bytes=settings.max_upload_bytes, kind=kind, zone=zone,
            classify=ranked_candidates))
    except RegisterError as e:
        if isinstance(e.report, ImportReport):
            return _report_page(request, user, e.report, status=422)
        return error_page(request, 422, "无法导入", "这个文件不能作为台账导入。", detail=str(e))
    folder = _folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    upload_id = secrets.token_urlsafe(18)
    (folder / f"{upload_id}.bin").write_bytes(data)
    (folder / f"{upload_id}.json").write_text(json.dumps({
        "account": user.session.account_id, "file": name, "kind": kind, "zone": zone}), encoding="utf-8")
    return _report_page(request, user, report, upload=upload_id)


@router.post("/pages/registers/commit")
async def commit(request: Request, store: StoreDep, settings: SettingsDep, user: PageUserDep,
                 form: FormDep) -> Response:
    """Write the register checked before, in one transaction, through the same checks."""
    _check_role(user)
    upload_id = form.get("upload", "")
    folder = _folder(settings)
    meta_file, data_file = folder / f"{upload_id}.json", folder / f"{upload_id}.bin"
    meta: dict[str, Any] = {}
    if upload_id.replace("-", "").replace("_", "").isalnum() and meta_file.is_file() and data_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("account") != user.session.account_id or time.time() - meta_file.stat().st_mtime > _KEEP_SECONDS:
        return error_page(request, 409, "上传已失效", "这份台账的检查结果已过期、已经导入过，或不是您上传的。"
                          "请回到台账页重新上传并检查。")
    data = data_file.read_bytes()
    try:
        report = await to_thread.run_sync(lambda: import_upload(
            store, user.who, meta["file"], data, dry_run=False, max_bytes=settings.max_upload_bytes,
            kind=meta.get("kind"), zone=meta.get("zone"), classify=ranked_candidates))
    except RegisterError as e:  # the store changed since the check
        if isinstance(e.report, ImportReport):
            return _report_page(request, user, e.report, status=422)
        raise
    finally:
        for f in (meta_file, data_file):
            f.unlink(missing_ok=True)
    if report.written:
        data_changed(request.app.state)
    return _report_page(request, user, report)


@router.get("/pages/registers/export")
async def export(request: Request, store: StoreDep, user: PageUserDep) -> Response:
    """Download the chosen registers of one zone (or all) as one workbook."""
    _check_role(user)
    what = [w for w in request.query_params.getlist("what") if w] or list(EXPORTS)
    zone = request.query_params.get("zone") or None
    if any(w not in EXPORTS for w in what) or (zone and zone not in _zones(store, user)):
        return error_page(request, 422, "输入有误", "导出的清单或开发区不是可选的值，请从页面上的选项中选择。")
    buffer = io.BytesIO()
    await to_thread.run_sync(lambda: export_registers(store, buffer, who=user.who, what=what, zone_id=zone))
    name = f"台账-{zone or '全部'}-{today().isoformat()}.xlsx"
    return Response(buffer.getvalue(), media_type=_XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
