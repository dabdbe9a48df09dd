"""The counter's settings, declared once: key, type, default, what the window calls it, and who
may change it. Code reads a setting through ``Counter.setting`` / ``default_of`` and never
writes a default at the call site; ``tests/models/test_settings_declared.py`` fails on a key read
in code that is not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "leader", "system")  # system: written by the program itself, not by a person


@dataclass(frozen=True)
class Setting:
    key: str
    type: str  # text, int, float, bool ("0"/"1"), time ("HH:MM"), path, json, secret
    default: str | None
    label: str
    role: str = "admin"


SETTINGS: tuple[Setting, ...] = (
    # the ward and this counter
    Setting("ward_code", "text", None, "Mã đơn vị hành chính của phường/xã"),
    Setting("ward_name", "text", None, "Tên phường/xã"),
    Setting("counter_no", "int", None, "Số quầy"),
    Setting("device_id", "text", None, "Mã máy của quầy", "system"),
    Setting("paper_key", "secret", None, "Khóa ký mã QR trên giấy tờ", "system"),
    # empty: the wording file's default from the ward's name ("Ủy ban nhân dân phường Đại Nài",
    # "Trung tâm Phục vụ hành chính công phường Đại Nài"): the ward's own data, not a constant
    Setting("ward.body", "text", "", "Tên cơ quan ghi trên giấy tờ (Ủy ban nhân dân…)"),
    Setting("ward.unit", "text", "", "Tên bộ phận một cửa ghi trên giấy tờ (Trung tâm Phục vụ hành chính công…)"),
    Setting("ward.place", "text", "", "Địa danh ghi ở dòng ngày tháng"),
    Setting("ward.province", "text", "", "Tỉnh, thành phố"),
    Setting("ward.address", "text", "", "Địa chỉ bộ phận một cửa"),
    Setting("ward.phone", "text", "", "Số điện thoại bộ phận một cửa"),
    Setting("ward.hotline", "text", "", "Đường dây nóng"),
    Setting("ward.head_title", "text", "", "Chức danh người ký"),
    Setting("ward.head_name", "text", "", "Họ tên người ký"),
    Setting("ward.result_place", "text", "", "Nơi trả kết quả"),
    # working time
    Setting("office_hours", "json", None, "Giờ làm việc", "admin"),
    Setting("saturday_working", "bool", "0", "Làm việc sáng Thứ Bảy"),
    Setting("idle_lock_minutes", "int", "10", "Tự khóa màn hình sau (phút không thao tác)"),
    # papers and surveys
    Setting("template.report", "text", None, "Mẫu báo cáo thống kê dùng cho phường"),
    Setting("survey.file", "path", None, "Tệp phiếu khảo sát sự hài lòng"),
    # sync with the server above the ward
    Setting("district_url", "text", None, "Địa chỉ máy chủ cấp tỉnh"),
    Setting("district_ca_bundle", "path", None, "Chứng chỉ của máy chủ cấp tỉnh"),
    Setting("device_token", "secret", None, "Khóa đăng ký của quầy", "system"),
    Setting("sync_end_of_day", "time", "17:15", "Giờ đồng bộ cuối ngày"),
    Setting("pull_after_seq", "int", "0", "Thao tác cuối đã nhận từ máy chủ", "system"),
    Setting("reference_version", "text", None, "Phiên bản danh mục đã nhận", "system"),
    Setting("catalogue_version", "text", "local", "Phiên bản danh mục thủ tục", "system"),
    Setting("last_sync_at", "text", None, "Lần đồng bộ thành công cuối", "system"),
    Setting("last_sync_error", "text", "", "Lỗi đồng bộ cuối", "system"),
    # backups
    Setting("backup.folder", "path", None, "Thư mục sao lưu (để trống: backups/ cạnh cơ sở dữ liệu)"),
    Setting("backup.second_folder", "path", None, "Thư mục sao lưu thứ hai (ổ USB)"),
    Setting("backup.every_hours", "float", "3", "Sao lưu sau mỗi (giờ)"),
    Setting("backup.keep_daily", "int", "12", "Giữ bản sao lưu của ... ngày gần nhất"),
    Setting("backup.keep_weekly", "int", "10", "Giữ bản sao lưu của ... tuần gần nhất"),
    Setting("backup.keep_monthly", "int", "9", "Giữ bản sao lưu của ... tháng gần nhất"),
    Setting("backup.last_at", "text", None, "Lần sao lưu cuối", "system"),
    Setting("backup.last_seq", "int", "-1", "Thao tác cuối đã có trong bản sao lưu", "system"),
)
DECLARED: dict[str, Setting] = {s.key: s for s in SETTINGS}
# Keys made from a declared family: a provincial fee's setting is named by the catalogue
# ("fee.<procedure>"), a paper's template variant by its kind ("template.<kind>").
FAMILIES = ("fee.", "template.", "stats.")


def default_of(key: str) -> str | None:
    found = DECLARED.get(key)
    return found.default if found is not None else None


def is_declared(key: str) -> bool:
    return key in DECLARED or key.startswith(FAMILIES)
