"""The district overview page at ``/``: server-rendered HTML in Vietnamese, every value escaped.

Figures only (counters, last sync, counts): no citizen's name or dossier content is shown.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any, Iterable

from desk_app.models.clock import VN_TZ

_STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:1.5rem;color:#1d2733}
h1{font-size:1.4rem;margin:0 0 .25rem}
p.meta{color:#5b6573;margin:0 0 1rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #c9d1db;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f6}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.alert{color:#a4161a;font-weight:bold}
ul{margin:0;padding-left:1.1rem}
.revoked{color:#8a939e;text-decoration:line-through}
"""


def _time(value: datetime | None) -> str:
    if value is None:
        return "chưa đồng bộ"
    return value.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


def _devices(devices: Iterable[dict[str, Any]]) -> str:
    items = []
    for d in devices:
        label = f"Quầy {int(d['counter'])}"
        if d.get("name"):
            label += f" – {d['name']}"
        text = f"{escape(label)}: lần đồng bộ cuối {escape(_time(d.get('last_sync_at')))}"
        if d.get("revoked"):
            items.append(f'<li class="revoked">{text} (đã thu hồi)</li>')
        else:
            items.append(f"<li>{text}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "chưa có quầy nào đăng ký"


def render_overview(rows: list[dict[str, Any]], now: datetime) -> str:
    body_rows = []
    for w in rows:
        overdue = int(w["overdue"])
        body_rows.append(
            "<tr>"
            f"<td>{escape(w['code'])}</td>"
            f"<td>{escape(w['name'])}</td>"
            f"<td>{_devices(w['devices'])}</td>"
            f"<td class=\"n\">{int(w['received_today'])}</td>"
            f"<td class=\"n{' alert' if overdue else ''}\">{overdue}</td>"
            f"<td class=\"n\">{int(w['transferred_waiting'])}</td>"
            f"<td class=\"n\">{int(w['dossiers'])}</td>"
            "</tr>"
        )
    if not body_rows:
        body_rows.append('<tr><td colspan="7">Chưa có phường/xã nào. Dùng lệnh '
                         '<code>desk-district enroll</code> để đăng ký quầy đầu tiên.</td></tr>')
    return (
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"refresh\" content=\"60\">"
        "<title>Tổng quan các phường/xã – Máy chủ đồng bộ</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Tổng quan các phường/xã</h1>"
        f"<p class=\"meta\">Cập nhật lúc {escape(_time(now))}. Số liệu tự làm mới mỗi phút.</p>"
        "<table><thead><tr><th>Mã</th><th>Phường/xã</th><th>Các quầy</th>"
        "<th>Thao tác nhận hôm nay</th><th>Hồ sơ quá hạn</th><th>Hồ sơ liên thông đang chờ</th>"
        "<th>Tổng số hồ sơ</th></tr></thead><tbody>"
        + "".join(body_rows)
        + "</tbody></table></body></html>"
    )
