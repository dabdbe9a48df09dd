"""``desk-app``: with no command, the counter window; with a command, the admin tools.

Every failure a user can cause prints a Vietnamese message and exits non-zero,
never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

from ..models.clerks import PASSWORDS_DIFFER
from ..models.rules import counter_rules
from ..models.errors import DomainError
from ..storage.driver import DatabaseError
from ..paths import default_db_path

Handler = Callable[[argparse.Namespace], int]


def _db_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", type=Path, default=None,
                        help="tệp cơ sở dữ liệu của quầy (mặc định: $DESK_APP_DB hoặc thư mục dữ liệu người dùng)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    db = _db_parent()
    parser = argparse.ArgumentParser(
        prog="desk-app", parents=[db],
        description="Quầy Một Cửa — phần mềm tiếp nhận và trả kết quả hồ sơ của phường/xã.",
    )
    parser.add_argument("--self-test", action="store_true",
                        help="tự kiểm tra bản cài đặt (cơ sở dữ liệu tạm, in thử mọi giấy tờ, phông chữ, Qt) rồi thoát")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")

    p = sub.add_parser("encrypt", parents=[db],
                       help="mã hóa cơ sở dữ liệu của phường (sao lưu trước; in khóa khôi phục một lần)")
    p.add_argument("--sheet", type=Path, default=None,
                   help="ghi Phiếu khóa khôi phục ra tệp PDF để in (xóa tệp sau khi in)")
    p.add_argument("--by", default="", help="họ tên người lập phiếu")
    p = sub.add_parser("change-passphrase", parents=[db],
                       help="đổi mật khẩu khóa dữ liệu (bằng mật khẩu cũ hoặc khóa khôi phục)")
    p.add_argument("--recovery", action="store_true", help="dùng khóa khôi phục thay cho mật khẩu cũ")

    p = sub.add_parser("backup", parents=[db], help="sao lưu cơ sở dữ liệu ngay (bản chụp nhất quán, đã kiểm tra)")
    p.add_argument("--to", type=Path, default=None, help="thư mục sao lưu (mặc định: thư mục đặt trong cửa sổ cài đặt, nếu chưa đặt thì backups/ cạnh cơ sở dữ liệu)")
    p = sub.add_parser("restore", parents=[db],
                       help="khôi phục từ một bản sao lưu (kiểm tra trước; giữ lại tệp hiện tại)")
    p.add_argument("file", type=Path, help="tệp sao lưu .sqlite3")

    p = sub.add_parser("init", parents=[db], help="khởi tạo cơ sở dữ liệu mới cho một phường/xã")
    p.add_argument("--ward-code", help="mã đơn vị hành chính của phường/xã")
    p.add_argument("--ward-name", help="tên phường/xã, ví dụ “Phường Đại Nài”")
    p.add_argument("--counter", help="số quầy (1–99)")
    p.add_argument("--admin", help="tên đăng nhập của quản trị viên đầu tiên")
    p.add_argument("--password", help="mật khẩu (bỏ trống: hỏi, hoặc tự sinh khi không có bàn phím)")
    p.add_argument("--admin-name", default="Quản trị viên", help="họ tên quản trị viên")

    p = sub.add_parser("demo", parents=[db], help="tạo (hoặc bổ sung) dữ liệu mẫu của một phường")
    p.add_argument("--dossiers", type=int, default=500, help="số hồ sơ mẫu")
    p.add_argument("--seed", type=int, default=1, help="hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu)")

    sub.add_parser("procedures", parents=[db], help="danh mục thủ tục: mã, tên, thời hạn, lệ phí")

    p = sub.add_parser("due", parents=[db], help="tính ngày hẹn trả kết quả")
    p.add_argument("--procedure", required=True, help="mã thủ tục, ví dụ 1.001193")
    p.add_argument("--received", required=True, help="thời điểm tiếp nhận YYYY-MM-DDTHH:MM")
    p.add_argument("--verification", action="store_true", help="có xác minh (cộng thêm thời gian xác minh)")

    p = sub.add_parser("search", parents=[db], help="tìm hồ sơ theo tên (không dấu), CCCD, điện thoại, mã")
    p.add_argument("query", nargs="+", help="nội dung tìm")
    p.add_argument("--limit", type=int, default=50)

    p = sub.add_parser("list", parents=[db], help="danh sách hồ sơ (mới nhất trước), lọc theo trạng thái và thủ tục")
    p.add_argument("--status", help="trạng thái: " + ", ".join(_statuses()))
    p.add_argument("--procedure", metavar="MÃ", help="mã thủ tục")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true", help="in JSON (cho cán bộ hỗ trợ và kịch bản)")

    p = sub.add_parser("show", parents=[db], help="toàn bộ thông tin một hồ sơ: trường, trạng thái, hạn, lệ phí, "
                                                  "giấy tờ đã in, nhật ký (được ghi vào nhật ký truy cập)")
    p.add_argument("code", metavar="MÃ_HỒ_SƠ")
    p.add_argument("--json", action="store_true", help="in JSON")

    sub.add_parser("check", parents=[db], help="kiểm tra toàn vẹn cơ sở dữ liệu và nhật ký")

    p = sub.add_parser("enroll", parents=[db], help="đăng ký quầy với máy chủ cấp tỉnh bằng mã một lần")
    p.add_argument("--server", required=True, help="địa chỉ máy chủ cấp tỉnh, ví dụ https://motcua.hatinh.gov.vn")
    p.add_argument("--code", required=True, help="mã đăng ký một lần do máy chủ cấp tỉnh cấp")
    p.add_argument("--ca-bundle", default=None, help="tệp chứng chỉ gốc (CA) riêng, nếu máy chủ dùng CA nội bộ")

    p = sub.add_parser("sync", parents=[db], help="đồng bộ với máy chủ cấp tỉnh")
    p.add_argument("--once", action="store_true", required=True, help="chạy một lượt rồi thoát")

    p = sub.add_parser("print", parents=[db], help="in giấy tờ của hồ sơ, niêm yết thủ tục hoặc sổ theo dõi ra PDF")
    p.add_argument("dossier", nargs="?", help="mã hồ sơ")
    p.add_argument("--form", choices=["receipt", "supplement", "refusal", "apology", "stop_notice", "control",
                                      "declaration"], help="loại giấy của hồ sơ")
    p.add_argument("--listing", metavar="PROCEDURE_CODE", help="niêm yết công khai một thủ tục")
    p.add_argument("--book", action="store_true", help="sổ theo dõi hồ sơ (cần --from và --to)")
    p.add_argument("--from", dest="date_from", help="từ ngày YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="đến ngày YYYY-MM-DD")
    p.add_argument("--out", type=Path, required=True, help="tệp PDF ghi ra")
    p.add_argument("--user", default=None, help="cán bộ in (mặc định: quản trị viên đầu tiên)")

    p = sub.add_parser("report", parents=[db],
                       help="báo cáo tình hình giải quyết hồ sơ, sổ theo dõi, niêm yết ra PDF hoặc XLSX")
    p.add_argument("--from", dest="date_from", help="từ ngày YYYY-MM-DD (hoặc DD/MM/YYYY)")
    p.add_argument("--to", dest="date_to", help="đến ngày YYYY-MM-DD (hoặc DD/MM/YYYY)")
    p.add_argument("--format", dest="fmt", help="pdf hoặc xlsx (mặc định: theo đuôi tệp --out)")
    p.add_argument("--out", type=Path, help="tệp ghi ra")
    p.add_argument("--by", dest="dimension", default="procedure",
                   help="báo cáo nhóm theo procedure (thủ tục), domain (lĩnh vực), clerk (cán bộ) hoặc month (tháng)")
    p.add_argument("--kind", default="handling",
                   help="handling (báo cáo tình hình tiếp nhận và giải quyết, mặc định), book (sổ theo dõi), "
                        "listing (niêm yết tất cả thủ tục)")
    p.add_argument("--protect", action="store_true",
                   help="đặt mật khẩu cho tệp xuất ($DESK_APP_EXPORT_PASSWORD hoặc nhập); luôn bật khi dữ liệu "
                        "của phường đã mã hóa")

    p = sub.add_parser("purge", parents=[db],
                       help="hủy dữ liệu cá nhân của hồ sơ đã hết thời hạn lưu trữ: lập danh sách, lãnh đạo xác nhận")
    p.add_argument("--list", action="store_true", help="lập danh sách hồ sơ đến hạn hủy (chưa xóa gì)")
    p.add_argument("--confirm", metavar="ID", help="lãnh đạo xác nhận danh sách ID: xóa dữ liệu cá nhân")
    p.add_argument("--cancel", metavar="ID", help="lãnh đạo hủy bỏ danh sách ID (không xóa gì)")
    p.add_argument("--user", help="tên đăng nhập của lãnh đạo (mật khẩu: hỏi, hoặc $DESK_APP_PASSWORD)")

    p = sub.add_parser("incidents", parents=[db], help=f"sổ theo dõi sự cố dữ liệu cá nhân (hạn báo cáo {counter_rules().incident_hours_text})")
    p.add_argument("--export", type=Path, metavar="TỆP", help="ghi sổ ra tệp .pdf hoặc .xlsx")
    p.add_argument("--format", dest="fmt", help="pdf hoặc xlsx (mặc định: theo đuôi tệp)")
    p.add_argument("--protect", action="store_true",
                   help="đặt mật khẩu cho tệp xuất ($DESK_APP_EXPORT_PASSWORD hoặc nhập); luôn bật khi dữ liệu "
                        "của phường đã mã hóa")
    return parser


def _db_path(args: argparse.Namespace) -> Path:
    return args.db if args.db else default_db_path()


def _open_counter(args: argparse.Namespace):
    from ..counter import Counter

    path = _db_path(args)
    if not path.exists():
        raise DomainError(f"Không tìm thấy cơ sở dữ liệu {path}. Hãy chạy “desk-app init” hoặc “desk-app demo”.")
    counter = Counter.open(path)
    if not counter.store.is_initialised():
        counter.close()
        raise DomainError(f"Cơ sở dữ liệu {path} chưa được khởi tạo. Hãy chạy “desk-app init”.")
    return counter


def _ask(value: str | None, prompt: str, field: str) -> str:
    if value:
        return value
    if sys.stdin.isatty():
        answer = input(prompt).strip()
        if answer:
            return answer
    raise DomainError(f"Thiếu {field}.")


def cmd_init(args: argparse.Namespace) -> int:
    from ..counter import Counter
    from ..models.clerks import generate_password

    path = _db_path(args)
    ward_code = _ask(args.ward_code, "Mã phường/xã: ", "mã phường/xã (--ward-code)")
    ward_name = _ask(args.ward_name, "Tên phường/xã: ", "tên phường/xã (--ward-name)")
    counter_no = _ask(args.counter, "Số quầy: ", "số quầy (--counter)")
    admin = _ask(args.admin, "Tên đăng nhập quản trị: ", "tên đăng nhập quản trị (--admin)")
    password, generated = args.password, False
    if not password:
        if sys.stdin.isatty():
            password = getpass.getpass("Mật khẩu quản trị (ít nhất 8 ký tự): ")
        else:
            password, generated = generate_password(), True
    counter = Counter.open(path, create=True)
    try:
        counter.initialise(ward_code=ward_code, ward_name=ward_name, counter_no=counter_no,
                           admin_username=admin, admin_password=password, admin_full_name=args.admin_name)
    finally:
        counter.close()
    print(f"Đã khởi tạo {ward_name} (mã {ward_code}), quầy số {int(counter_no)}: {path}")
    if generated:
        print("Mật khẩu quản trị được tạo tự động (chỉ hiện một lần, hãy ghi lại):")
        print(password)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import generate_demo

    path = _db_path(args)
    summary = generate_demo(path, dossiers=args.dossiers, seed=args.seed, progress=_progress)
    print(summary)
    return 0


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{done}/{total} hồ sơ", end="" if done < total else "\n", file=sys.stderr, flush=True)


def cmd_procedures(args: argparse.Namespace) -> int:
    from ..models.catalogue import load_catalogue
    from ..models.clock import vn_now

    path = _db_path(args)
    settings = None
    if args.db or path.exists():
        counter = _open_counter(args)
        catalogue, settings = counter.catalogue, counter.settings()  # the ward's provincial amounts
        counter.close()
    else:
        catalogue = load_catalogue()
    today = vn_now().date()
    for proc in catalogue.procedures:
        print(f"{proc.code}\t{proc.name}\t{proc.time_limit.describe()}\t{proc.fee_wording(settings, today)}")
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    from ..models.calendar import WorkingCalendar
    from ..models.catalogue import load_catalogue
    from ..models.clock import as_vn
    from ..models.deadlines import compute_due

    try:
        received = as_vn(datetime.fromisoformat(args.received))
    except ValueError:
        raise DomainError(f"Thời điểm tiếp nhận không hợp lệ: {args.received!r} (dạng 2026-11-23T09:30).") from None
    path = _db_path(args)
    if args.db or path.exists():
        counter = _open_counter(args)
        try:
            due = counter.due_for(args.procedure, received, with_verification=args.verification)
            proc = counter.catalogue.get(args.procedure)
        finally:
            counter.close()
    else:  # no ward yet: the national calendar and the seed catalogue
        proc = load_catalogue().get(args.procedure)
        due = compute_due(received, proc.time_limit, WorkingCalendar(), with_verification=args.verification)
    print(f"Thủ tục: {proc.code} {proc.name} ({proc.time_limit.describe()})")
    print(f"Hẹn trả: {due.due_at:%H:%M} ngày {due.due_at:%d/%m/%Y}")
    if due.skipped:
        print("Ngày không làm việc được bỏ qua:")
        for day in due.skipped:
            print(f"  {day.day:%d/%m/%Y} ({day.reason})")
    else:
        print("Không có ngày nghỉ nào được bỏ qua.")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ..models.lifecycle import STATUS_LABELS

    counter = _open_counter(args)
    try:
        rows = counter.dossiers.search(" ".join(args.query), limit=args.limit)
        for row in rows:
            name = counter.catalogue.name_of(row.procedure_code)
            print(f"{row.code}\t{row.applicant_name}\t{name}\t{STATUS_LABELS.get(row.status, row.status)}")
    finally:
        counter.close()
    if not rows:
        print("Không tìm thấy hồ sơ nào.", file=sys.stderr)
    return 0


def _statuses() -> list[str]:
    from ..models.lifecycle import STATUSES

    return list(STATUSES)


def cmd_list(args: argparse.Namespace) -> int:
    import json

    from ..ops.inspect import dossier_rows

    counter = _open_counter(args)
    try:
        rows = dossier_rows(counter, status=args.status, procedure=args.procedure, limit=args.limit)
    finally:
        counter.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        due = datetime.fromisoformat(r["due_at"]).strftime("%H:%M %d/%m/%Y") if r["due_at"] else ""
        print(f"{r['code']}\t{r['applicant']}\t{r['procedure']}\t{r['status_label']}\t{due}")
    if not rows:
        print("Không có hồ sơ nào.", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    import json

    from ..ops.inspect import dossier_record

    counter = _open_counter(args)
    try:
        record = dossier_record(counter, args.code)
    finally:
        counter.close()
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=1))
        return 0
    print(f"Hồ sơ {record['code']} — {record['procedure']['name']} ({record['procedure']['code']})")
    print(f"Người nộp: {record['applicant'].get('full_name', '')}; trạng thái: {record['status_label']}")
    if record["due_at"]:
        print(f"Hẹn trả: {datetime.fromisoformat(record['due_at']):%H:%M %d/%m/%Y}")
    for entry in record["journal"]:
        print(f"  {datetime.fromisoformat(entry['at']):%H:%M %d/%m/%Y}  {entry['label']}  ({entry['clerk']})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    counter = _open_counter(args)
    try:
        problems = counter.check()
        counts = counter.store.checks.counts()
    finally:
        counter.close()
    print(f"{counts['dossiers']} hồ sơ, {counts['actions']} thao tác, {counts['outbox']} chờ đồng bộ.")
    if problems:
        print(f"Phát hiện {len(problems)} vấn đề:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("Cơ sở dữ liệu toàn vẹn; nhật ký thao tác không bị sửa.")
    return 0


def cmd_print(args: argparse.Namespace) -> int:
    from datetime import date

    from ..printing.papers import Papers

    counter = _open_counter(args)
    try:
        _act_as(counter, args.user)
        papers = Papers(counter)
        if args.listing:
            paper = papers.listing(args.listing)
        elif args.book:
            if not (args.date_from and args.date_to):
                raise DomainError("Sổ theo dõi cần --from và --to (YYYY-MM-DD).")
            try:
                start, end = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
            except ValueError:
                raise DomainError("Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-11-01.") from None
            paper = papers.book(start, end)
        elif args.dossier and args.form:
            paper = papers.dossier_paper(args.dossier, args.form)
        else:
            raise DomainError("Cần mã hồ sơ và --form, hoặc --listing MÃ_THỦ_TỤC, hoặc --book --from --to.")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(paper.pdf)
        _log_print_export(counter, args, paper.template.slip_type or "declaration")
    finally:
        counter.close()
    print(f"Đã ghi {args.out} ({paper.template.title.capitalize()}, mẫu {paper.template.id} v{paper.template.version}).")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Reads the ward's file, needs no login; everything is checked before the file is opened."""
    from ..models.statistics import DIMENSIONS
    from ..printing.reports import FORMATS, KINDS, Reports, parse_period

    if args.kind not in KINDS:
        raise DomainError(f"Không có loại báo cáo “{args.kind}” (dùng: {', '.join(KINDS)}).")
    if args.dimension not in DIMENSIONS:
        raise DomainError(f"Không có cách nhóm “{args.dimension}” (dùng: {', '.join(DIMENSIONS)}).")
    if args.out is None:
        raise DomainError("Cần tệp ghi ra: --out TỆP.pdf hoặc --out TỆP.xlsx.")
    fmt = (args.fmt or args.out.suffix.lstrip(".")).lower()
    if not fmt:
        raise DomainError(f"Không rõ định dạng của {args.out}: thêm --format pdf hoặc --format xlsx.")
    if fmt not in FORMATS:
        raise DomainError(f"Định dạng “{fmt}” không hỗ trợ: dùng --format pdf hoặc --format xlsx.")
    period = None
    if args.kind != "listing" or args.date_from or args.date_to:
        period = parse_period(args.date_from, args.date_to)
    from ..printing.protect import protect

    password = _export_password(args)  # encrypted data never leaves in clear
    counter = _open_counter(args)
    try:
        report = Reports(counter).make(args.kind, fmt, period, dimension=args.dimension)
        _write(args.out, protect(report.data, fmt, password) if password else report.data)
        # no login here: the access log names the command line and the OS user
        counter.privacy.log_export(args.kind, args.out, period=period,
                                   detail={"format": fmt, "rows": report.rows, "by": args.dimension})
    finally:
        counter.close()
    what = f"{report.title[:1]}{report.title[1:].lower()}"
    when = f", {period.label}" if period and args.kind != "listing" else ""
    locked = ", có mật khẩu" if password else ""
    print(f"Đã ghi {args.out} ({what}{when}; {report.rows} dòng, {fmt.upper()}{locked}).")
    return 0


def _log_print_export(counter, args: argparse.Namespace, what: str) -> None:
    """``desk-app print`` writes a file: logged as an export besides the journaled print."""
    from datetime import date

    from ..models.statistics import Period

    period = None
    if args.book:
        period = Period(date.fromisoformat(args.date_from), date.fromisoformat(args.date_to))
    detail = {"dossier": args.dossier} if args.dossier and args.form else {}
    counter.privacy.log_export("listing" if args.listing else what, args.out, period=period, detail=detail)


def _write(path: Path, data: bytes) -> None:
    """Write the whole file or nothing, with a Vietnamese reason when the place is not writable."""
    import errno

    reasons = {errno.EACCES: "không có quyền ghi", errno.EPERM: "không có quyền ghi",
               errno.EISDIR: "đó là một thư mục", errno.ENOENT: "không tạo được tệp ở chỗ này",
               errno.ENOTDIR: "đường dẫn không phải thư mục", errno.EROFS: "ổ đĩa chỉ cho đọc",
               errno.ENOSPC: "ổ đĩa đã đầy"}
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        reason = reasons.get(exc.errno or 0, f"lỗi hệ thống: {exc.strerror or exc}")
        raise DomainError(f"Không ghi được tệp {path} ({reason}).") from None


def cmd_enroll(args: argparse.Namespace) -> int:
    from ..sync.client import SyncClient

    path = _db_path(args)
    if not path.exists():
        raise DomainError(f"Không tìm thấy cơ sở dữ liệu {path}.")
    data = SyncClient(path).enroll(args.server, args.code, ca_bundle=args.ca_bundle)
    print(f"Đã đăng ký quầy {data.get('counter')} của {data.get('ward_name') or data.get('ward_code')} "
          f"với máy chủ {args.server}.")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ..sync.client import SyncClient

    path = _db_path(args)
    if not path.exists():
        raise DomainError(f"Không tìm thấy cơ sở dữ liệu {path}.")
    report = SyncClient(path).sync_once()
    print(f"pushed={report.pushed} duplicates={report.duplicates} parked={report.parked} "
          f"pulled={report.pulled} waiting={report.waiting} reference_updated={int(report.reference_updated)}")
    print(report.summary())
    for note in report.notes:
        print(f"  - {note}")
    return 1 if report.error else 0


def _act_as(counter, username: str | None) -> None:
    """Headless commands act as a named clerk (default: the first admin), recorded in the journal."""
    from ..models.clerks import Clerk

    rows = counter.store.reference.list_clerks()
    row = next((r for r in rows if r["username"] == username), None) if username else \
        next((r for r in rows if r["role"] == "admin" and r["active"]), None)
    if row is None:
        raise DomainError(f"Không có cán bộ “{username}”.")
    counter.clerk = Clerk(row["username"], row["full_name"], row["role"], bool(row["active"]))


def _new_passphrase() -> str:
    value = os.environ.get("DESK_APP_NEW_PASSPHRASE")
    if value:
        return value
    if not sys.stdin.isatty():
        raise DomainError("Thiếu mật khẩu khóa dữ liệu mới: nhập trong cửa sổ dòng lệnh hoặc đặt DESK_APP_NEW_PASSPHRASE.")
    first = getpass.getpass("Mật khẩu khóa dữ liệu mới (ít nhất 10 ký tự): ")
    if getpass.getpass("Nhập lại mật khẩu khóa dữ liệu: ") != first:
        raise DomainError(PASSWORDS_DIFFER)
    return first


def _unlock(path: Path) -> None:
    """Open an encrypted ward file: the OS key store, else $DESK_APP_PASSPHRASE or
    $DESK_APP_RECOVERY_KEY, else a prompt in a terminal."""
    from ..storage import keys
    from ..storage.encryption import unlock, unlock_without_prompt

    if not path.exists() or unlock_without_prompt(path):
        return
    if os.environ.get("DESK_APP_PASSPHRASE"):
        unlock(path, passphrase=os.environ["DESK_APP_PASSPHRASE"])
    elif os.environ.get("DESK_APP_RECOVERY_KEY"):
        unlock(path, recovery=os.environ["DESK_APP_RECOVERY_KEY"])
    elif sys.stdin.isatty():
        unlock(path, passphrase=getpass.getpass("Mật khẩu khóa dữ liệu của phường: "))
    else:
        raise keys.Locked(path)


def cmd_encrypt(args: argparse.Namespace) -> int:
    from ..models.clock import vn_now
    from ..ops.encrypt import encrypt_ward

    path = _db_path(args)
    passphrase = _new_passphrase()
    done = encrypt_ward(path, passphrase, made_by=args.by or "", now=vn_now())
    result = done.result
    print(f"Đã mã hóa {path}. Bản sao lưu trước khi mã hóa (đã mã hóa): {result.backup}")
    if result.converted_backups:
        print(f"Đã mã hóa {len(result.converted_backups)} bản sao lưu cũ.")
    print("Khóa khôi phục (chỉ hiện một lần; in Phiếu khóa khôi phục, niêm phong, giao lãnh đạo giữ):")
    print(result.recovery)
    if args.sheet:
        args.sheet.write_bytes(done.sheet)
        print(f"Phiếu khóa khôi phục: {args.sheet} (in rồi xóa tệp này)")
    if not result.keyring:
        print("Máy này không có kho khóa của hệ điều hành: mỗi lần mở phần mềm sẽ hỏi mật khẩu khóa dữ liệu.")
    return 0


def cmd_change_passphrase(args: argparse.Namespace) -> int:
    from ..storage.encryption import change_passphrase

    path = _db_path(args)
    if args.recovery:
        old = os.environ.get("DESK_APP_RECOVERY_KEY") or (getpass.getpass("Khóa khôi phục: ") if sys.stdin.isatty() else "")
        if not old:
            raise DomainError("Thiếu khóa khôi phục (nhập trong cửa sổ dòng lệnh hoặc đặt DESK_APP_RECOVERY_KEY).")
        new = _new_passphrase()
        change_passphrase(path, new, recovery=old)
    else:
        old = os.environ.get("DESK_APP_PASSPHRASE") or (
            getpass.getpass("Mật khẩu khóa dữ liệu hiện tại: ") if sys.stdin.isatty() else "")
        if not old:
            raise DomainError("Thiếu mật khẩu hiện tại (nhập trong cửa sổ dòng lệnh hoặc đặt DESK_APP_PASSPHRASE).")
        new = _new_passphrase()
        change_passphrase(path, new, passphrase=old)
    print("Đã đổi mật khẩu khóa dữ liệu. Khóa khôi phục không đổi.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from ..ops.service import BackupService

    path = _db_path(args)
    if not path.exists():
        raise DomainError(f"Không tìm thấy cơ sở dữ liệu: {path}")
    made = BackupService(path).backup_now(args.to)  # the folder and keep policy set in the window
    print(f"Đã sao lưu: {made.path}")
    if made.removed:
        p = made.policy
        print(f"Đã xóa {len(made.removed)} bản sao lưu cũ (giữ {p.daily} ngày, {p.weekly} tuần, "
              f"{p.monthly} tháng gần nhất).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..models.clock import vn_now
    from ..ops.backup import restore

    path = _db_path(args)
    kept = restore(args.file, path, now=vn_now())
    print(f"Đã khôi phục {path} từ {args.file}.")
    print(f"Cơ sở dữ liệu trước khi khôi phục được giữ tại: {kept}")
    return 0


# -- personal data: retention and incidents ------------------------------------------------------

def _login_leader(counter, username: str | None) -> None:
    """A purge is the leader's decision: their own account and password, never a default."""
    if not username:
        raise DomainError("Cần tên đăng nhập của lãnh đạo: --user TÊN_ĐĂNG_NHẬP.")
    password = os.environ.get("DESK_APP_PASSWORD") or ""
    if not password and sys.stdin.isatty():
        password = getpass.getpass(f"Mật khẩu của {username}: ")
    if not password:
        raise DomainError("Thiếu mật khẩu: nhập trong cửa sổ dòng lệnh hoặc đặt DESK_APP_PASSWORD.")
    counter.login(username, password)
    if not counter.clerk.can("confirm_purge"):
        raise DomainError(f"Tài khoản “{counter.clerk.username}” không phải lãnh đạo: không được xác nhận "
                          "hay hủy bỏ danh sách hủy dữ liệu.")


def _print_purge(counter, purge) -> None:
    for group in counter.privacy.purge_summary(purge):
        print(f"  {group.procedure_code}\t{group.procedure_name} (lưu {group.retention.lower()}): {group.count} hồ sơ")


def cmd_purge(args: argparse.Namespace) -> int:
    chosen = [value for value in (args.list, args.confirm, args.cancel) if value]
    if len(chosen) != 1:
        raise DomainError("Chọn đúng một việc: --list (lập danh sách), --confirm ID hoặc --cancel ID.")
    counter = _open_counter(args)
    try:
        if args.list:
            purge = counter.privacy.list_purge()
            if purge is None:
                print("Không có hồ sơ nào đã hết thời hạn lưu trữ và đã đồng bộ lên máy chủ cấp tỉnh; "
                      "không lập danh sách.")
                return 0
            print(f"Danh sách hủy dữ liệu cá nhân {purge.id}, lập lúc {purge.listed_at:%H:%M %d/%m/%Y}: "
                  f"{len(purge.dossier_ids)} hồ sơ đã hết thời hạn lưu trữ và đã đồng bộ.")
            _print_purge(counter, purge)
            print("Chưa xóa dữ liệu nào. Lãnh đạo xác nhận bằng lệnh:")
            print(f"  desk-app purge --db {_db_path(args)} --confirm {purge.id} --user TÊN_ĐĂNG_NHẬP")
            return 0
        _login_leader(counter, args.user)
        if args.cancel:
            counter.privacy.cancel_purge(args.cancel)
            print(f"Đã hủy bỏ danh sách {args.cancel}; không xóa dữ liệu nào.")
            return 0
        purge = counter.privacy.confirm_purge(args.confirm)
        print(f"{counter.clerk.full_name} đã xác nhận lúc {purge.confirmed_at:%H:%M %d/%m/%Y}: đã xóa dữ liệu "
              f"cá nhân của {purge.purged_count} hồ sơ.")
        if purge.kept_ids:
            print(f"Giữ lại {len(purge.kept_ids)} hồ sơ không còn đủ điều kiện (có thao tác mới chưa đồng bộ "
                  "hoặc thời hạn lưu trữ đã thay đổi).")
        if purge.scrubbed is False:
            print("Lưu ý: chưa dọn lại được tệp cơ sở dữ liệu (có chương trình khác đang mở tệp hoặc ổ đĩa đầy); "
                  "dữ liệu đã xóa không còn đọc được qua phần mềm, nhưng hãy đóng phần mềm rồi chạy lại lệnh này.",
                  file=sys.stderr)
    finally:
        counter.close()
    return 0


def _export_password(args: argparse.Namespace) -> str | None:
    """For ``report`` and ``incidents --export``: a password when asked (``--protect``), and
    always when the ward's data is encrypted."""
    from ..printing.protect import check_password
    from ..storage import keys

    if not (args.protect or keys.is_encrypted(_db_path(args))):
        return None
    password = os.environ.get("DESK_APP_EXPORT_PASSWORD") or ""
    if not password and sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu cho tệp xuất (ít nhất 8 ký tự): ")
        if getpass.getpass("Nhập lại mật khẩu cho tệp xuất: ") != password:
            raise DomainError(PASSWORDS_DIFFER)
    if not password:
        raise DomainError("Dữ liệu của phường đã mã hóa nên tệp xuất phải có mật khẩu: đặt "
                          "DESK_APP_EXPORT_PASSWORD hoặc nhập trong cửa sổ dòng lệnh.")
    check_password(password)
    return password


def cmd_incidents(args: argparse.Namespace) -> int:
    """Reads the ward's file and needs no login, as ``report``: the list on screen, or the book."""
    from ..printing.incidents import IncidentLog
    from ..printing.protect import protect
    from ..printing.reports import FORMATS

    fmt, password = None, None
    if args.export is not None:
        fmt = (args.fmt or args.export.suffix.lstrip(".")).lower()
        if fmt not in FORMATS:
            raise DomainError(f"Định dạng “{fmt or args.export.name}” không hỗ trợ: ghi ra tệp .pdf hoặc .xlsx.")
        password = _export_password(args)
    counter = _open_counter(args)
    try:
        if fmt is None:
            now = counter.now()
            incidents = counter.privacy.incidents()
            for i in incidents:
                mark = "QUÁ HẠN  " if i.overdue(now) else ""
                print(f"{mark}{i.detected_at:%H:%M %d/%m/%Y}\t{i.kind_label}\t{i.status(now)}\t{i.description}")
            if not incidents:
                print("Chưa ghi nhận sự cố dữ liệu cá nhân nào.")
            return 0
        report = IncidentLog(counter).make(fmt)
        _write(args.export, protect(report.data, fmt, password) if password else report.data)
    finally:
        counter.close()
    locked = ", có mật khẩu" if password else ""
    print(f"Đã ghi {args.export} (Sổ theo dõi sự cố dữ liệu cá nhân; {report.rows} sự cố, {fmt.upper()}{locked}).")
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    import threading

    from ..ops.logs import install_excepthook, setup_logging
    from ..ops.service import BackupScheduler, BackupService
    from ..paths import logs_dir

    log_path = setup_logging(logs_dir())

    def show(message: str) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        # a worker thread's error is logged only: widgets live on the main thread
        if QApplication.instance() is not None and threading.current_thread() is threading.main_thread():
            QMessageBox.critical(None, "Quầy Một Cửa", message)

    install_excepthook(show, log_path)
    from ..ui.app import run

    path = _db_path(args)
    backups = BackupScheduler(BackupService(path))
    backups.start()
    try:
        return run(path)
    finally:
        backups.shutdown()


COMMANDS: dict[str, Handler] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "procedures": cmd_procedures,
    "due": cmd_due,
    "search": cmd_search,
    "list": cmd_list,
    "show": cmd_show,
    "check": cmd_check,
    "print": cmd_print,
    "report": cmd_report,
    "enroll": cmd_enroll,
    "sync": cmd_sync,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "encrypt": cmd_encrypt,
    "change-passphrase": cmd_change_passphrase,
    "purge": cmd_purge,
    "incidents": cmd_incidents,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from ..ops.selftest import run_self_test

        return run_self_test()
    handler = COMMANDS.get(args.command or "", cmd_gui)
    try:
        if args.command not in (None, "init", "encrypt", "change-passphrase", "procedures", "due"):
            _unlock(_db_path(args))  # the window asks in a dialog instead
        return handler(args)
    except DomainError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Đã dừng.", file=sys.stderr)
        return 130
    except DatabaseError as exc:
        print(f"Lỗi cơ sở dữ liệu: {exc}. Dữ liệu đã lưu không bị thay đổi; hãy chạy “desk-app check”.",
              file=sys.stderr)
        return 3
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
