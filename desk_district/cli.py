"""``desk-district``: serve the district server and administer it.

    desk-district serve [--db URL] [--host 127.0.0.1] [--port 8780] [--workers 1] [--threads 4]
                        [--keep-alive 30] [--certfile F --keyfile F]
    desk-district enroll --ward CODE --counter N [--ward-name NAME]   (code alone on the last line)
    desk-district revoke --ward CODE --counter N
    desk-district stats --ward CODE [--json]
    desk-district token --admin [--name NAME]                         (token alone on the last line)
    desk-district reference --load procedures.json [--templates DIR] [--holidays F] [--settings F]

``--db`` defaults to ``$DESK_DISTRICT_DB``, else ``sqlite:///district.sqlite3`` in the current
folder; a bare file path means SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from desk_app.models.errors import DomainError

from .db import Database, default_database_url

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8780
# uvicorn's own 5 s closes a counter's connection while it applies what it pulled, and a request
# sent on it just then fails ("Server disconnected"): seen with 200 counters at once.
DEFAULT_KEEP_ALIVE = 30
DEFAULT_THREADS = 4  # desk_district.app.DEFAULT_THREADS, without importing FastAPI for the other commands
MAX_WORKERS = 32


class CliError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=None, metavar="URL",
                        help="sqlite:///path hoặc postgresql+psycopg://user:pass@host/db "
                             "(mặc định $DESK_DISTRICT_DB hoặc sqlite:///district.sqlite3)")
    parser = argparse.ArgumentParser(prog="desk-district",
                                     description="Máy chủ đồng bộ của phần mềm Quầy Một Cửa.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="chạy máy chủ")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--certfile", help="chứng chỉ TLS (PEM) để chạy HTTPS")
    serve.add_argument("--keyfile", help="khóa riêng của chứng chỉ TLS (PEM)")
    serve.add_argument("--workers", type=int, default=1,
                       help="số tiến trình phục vụ (mặc định 1; đặt bằng số lõi CPU của máy chủ)")
    serve.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                       help=f"số luồng xử lý của mỗi tiến trình (mặc định {DEFAULT_THREADS})")
    serve.add_argument("--keep-alive", type=int, default=DEFAULT_KEEP_ALIVE, metavar="SECONDS",
                       help=f"giữ kết nối rảnh bao nhiêu giây (mặc định {DEFAULT_KEEP_ALIVE})")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--console-access-log", action="store_true",
                       help="in thêm từng yêu cầu ra màn hình (mọi yêu cầu đã được ghi vào bảng access_log "
                            "của cơ sở dữ liệu)")

    enroll = sub.add_parser("enroll", parents=[common], help="tạo mã đăng ký dùng một lần cho một quầy")
    enroll.add_argument("--ward", required=True, help="mã phường/xã")
    enroll.add_argument("--counter", required=True, help="số quầy (1-99)")
    enroll.add_argument("--ward-name", help="tên phường/xã (bắt buộc nên có khi phường/xã mới)")
    enroll.add_argument("--days", type=int, default=7, help="số ngày mã còn hiệu lực (mặc định 7)")

    revoke = sub.add_parser("revoke", parents=[common], help="thu hồi quyền của một quầy")
    revoke.add_argument("--ward", required=True)
    revoke.add_argument("--counter", required=True)

    stats = sub.add_parser("stats", parents=[common], help="số hồ sơ và thao tác của một phường/xã")
    stats.add_argument("--ward", required=True)
    stats.add_argument("--json", action="store_true", help="in dạng JSON")

    token = sub.add_parser("token", parents=[common], help="tạo mã truy cập quản trị")
    token.add_argument("--admin", action="store_true", required=True,
                       help="mã truy cập cho người dùng cấp trên (thao tác liên thông)")
    token.add_argument("--name", default="district-admin", help="tên người/nhóm dùng mã này")

    ref = sub.add_parser("reference", parents=[common], help="công bố dữ liệu tham chiếu mới")
    ref.add_argument("--load", required=True, type=Path, help="tệp danh mục thủ tục (procedures.json)")
    ref.add_argument("--templates", type=Path, help="thư mục mẫu giấy tờ (forms_templates)")
    ref.add_argument("--holidays", type=Path, help='tệp JSON: [{"day", "kind": "off"|"work", "reason"}]')
    ref.add_argument("--settings", type=Path, help="tệp JSON: thiết lập chung cho các quầy")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.db or default_database_url()
    try:
        return _COMMANDS[args.command](args, url)
    except (CliError, DomainError) as exc:
        print(f"Lỗi: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 2


def _open(url: str) -> Database:
    db = Database(url)
    db.create_schema()
    return db


def cmd_serve(args: argparse.Namespace, url: str) -> int:
    import uvicorn

    from .app import WORKER_DB_ENV, WORKER_THREADS_ENV, create_app, tune_process

    if bool(args.certfile) != bool(args.keyfile):
        raise CliError("Phải ghi cả --certfile và --keyfile để chạy HTTPS.")
    for path in (args.certfile, args.keyfile):
        if path and not Path(path).is_file():
            raise CliError(f"Không tìm thấy tệp {path}.")
    if not 1 <= args.workers <= MAX_WORKERS:
        raise CliError(f"Số tiến trình (--workers) phải từ 1 đến {MAX_WORKERS}.")
    if not 1 <= args.threads <= 256:
        raise CliError("Số luồng (--threads) phải từ 1 đến 256.")
    if not 1 <= args.keep_alive <= 3600:
        raise CliError("Thời gian giữ kết nối (--keep-alive) phải từ 1 đến 3600 giây.")
    options = dict(host=args.host, port=args.port, ssl_certfile=args.certfile, ssl_keyfile=args.keyfile,
                   log_level=args.log_level, proxy_headers=True, server_header=False,
                   # every request is in the database's access_log already; a console line
                   # each cost the server 2-4 % of its CPU (measured)
                   access_log=args.console_access_log,
                   timeout_keep_alive=args.keep_alive)
    if args.workers == 1:
        tune_process()
        target: Any = create_app(url, threads=args.threads)
    else:
        # each worker process builds its own app (``app_from_environment``) from the URL passed in
        # the environment; the schema is created here, once, before they start
        _open(url).dispose()
        os.environ[WORKER_DB_ENV] = url
        os.environ[WORKER_THREADS_ENV] = str(args.threads)
        target = "desk_district.app:app_from_environment"
        options.update(workers=args.workers, factory=True)
    scheme = "https" if args.certfile else "http"
    print(f"Máy chủ đồng bộ chạy tại {scheme}://{args.host}:{args.port}/ (cơ sở dữ liệu: {_safe(url)}, "
          f"{args.workers} tiến trình)", flush=True)
    uvicorn.run(target, **options)
    return 0


def cmd_enroll(args: argparse.Namespace, url: str) -> int:
    from .service import create_enrollment_code

    if args.days < 1 or args.days > 30:
        raise CliError("Số ngày hiệu lực phải từ 1 đến 30.")
    code, ward = create_enrollment_code(_open(url), args.ward, args.counter, ward_name=args.ward_name,
                                        days=args.days)
    if args.ward_name is None and ward["name"].startswith("Phường/xã "):
        print("Chú ý: phường/xã chưa có tên; chạy lại với --ward-name để đặt tên.", file=sys.stderr)
    print(f"Mã đăng ký cho quầy {int(args.counter)} của {ward['name']} ({ward['code']}), "
          f"dùng một lần, hiệu lực {args.days} ngày:")
    print(code)
    return 0


def cmd_revoke(args: argparse.Namespace, url: str) -> int:
    from .service import revoke_counter

    count = revoke_counter(_open(url), args.ward, args.counter)
    if count == 0:
        print(f"Không có máy đang hoạt động nào của quầy {args.counter}, phường/xã {args.ward} "
              "(các mã đăng ký chưa dùng đã bị hủy).")
        return 1
    print(f"Đã thu hồi {count} máy của quầy {args.counter}, phường/xã {args.ward}.")
    return 0


def cmd_stats(args: argparse.Namespace, url: str) -> int:
    from .service import ward_stats

    stats = ward_stats(_open(url), args.ward)
    if stats is None:
        raise CliError(f"Máy chủ chưa có phường/xã {args.ward}.")
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, sort_keys=True))
        return 0
    print(f"Phường/xã: {stats['ward_code']} – {stats['ward_name']}")
    print(f"Quầy đang hoạt động: {stats['devices']}")
    print(f"Hồ sơ: {stats['dossiers']}")
    print(f"Thao tác: {stats['actions']}")
    print(f"Thao tác bị từ chối: {stats['rejected']}")
    for status, n in sorted(stats["by_status"].items()):
        print(f"  {status or '(chưa rõ)'}: {n}")
    return 0


def cmd_token(args: argparse.Namespace, url: str) -> int:
    from .service import create_admin_token

    token = create_admin_token(_open(url), args.name)
    print("Mã truy cập quản trị (chỉ hiện một lần; giữ kín, gửi kèm tiêu đề Authorization: Bearer):")
    print(token)
    return 0


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"Không đọc được {what} {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{what.capitalize()} {path} không phải JSON hợp lệ ({exc}).") from None


def build_reference(load: Path, templates: Path | None = None, holidays: Path | None = None,
                    settings: Path | None = None) -> dict[str, Any]:
    """The reference set from files, each checked with the counter's own loaders first."""
    from desk_app.models.catalogue import load_catalogue
    from desk_app.models.forms import load_library

    catalogue = _read_json(load, "tệp danh mục")
    load_catalogue(load)  # the counter must be able to load what we publish
    out: dict[str, Any] = {"catalogue": catalogue, "templates": [], "holiday_overrides": [], "settings": {}}
    if templates is not None:
        if not templates.is_dir():
            raise CliError(f"Không tìm thấy thư mục mẫu {templates}.")
        library = load_library(templates, strict=True)
        out["templates"] = [{"id": t.id, "version": t.version, "content": t.text}
                            for _, t in sorted(library.versions.items())]
    if holidays is not None:
        rows = _read_json(holidays, "tệp ngày nghỉ")
        if not isinstance(rows, list) or not all(
                isinstance(r, dict) and r.get("kind") in ("off", "work") and r.get("day") and r.get("reason")
                for r in rows):
            raise CliError('Tệp ngày nghỉ phải là danh sách [{"day", "kind": "off"|"work", "reason"}].')
        out["holiday_overrides"] = [{"day": str(r["day"]), "kind": r["kind"], "reason": str(r["reason"])}
                                    for r in rows]
    if settings is not None:
        values = _read_json(settings, "tệp thiết lập")
        if not isinstance(values, dict):
            raise CliError("Tệp thiết lập phải là một đối tượng JSON.")
        out["settings"] = values
    return out


def cmd_reference(args: argparse.Namespace, url: str) -> int:
    from .service import publish_reference

    content = build_reference(args.load, args.templates, args.holidays, args.settings)
    version, created = publish_reference(_open(url), content)
    print(f"{'Đã công bố' if created else 'Không thay đổi, vẫn là'} dữ liệu tham chiếu: "
          f"{len(content['catalogue'].get('procedures', []))} thủ tục, {len(content['templates'])} mẫu.")
    print(version)
    return 0


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    from .db import normalise_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


_COMMANDS = {
    "serve": cmd_serve,
    "enroll": cmd_enroll,
    "revoke": cmd_revoke,
    "stats": cmd_stats,
    "token": cmd_token,
    "reference": cmd_reference,
}

if __name__ == "__main__":
    raise SystemExit(main())
