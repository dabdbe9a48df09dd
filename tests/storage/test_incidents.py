"""The personal data incident log on a real database file: recorded by any clerk, the 72-hour
deadline from detection, reported by the leader."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from desk_app.models.clock import VN_TZ
from desk_app.models.errors import DomainError, ValidationError
from desk_app.models.incidents import INCIDENT_KINDS, kind_code


@pytest.fixture
def leader(counter):
    counter.login("admin", "quantri123")
    counter.add_clerk("lanhdao", "Lê Văn Lãnh Đạo", "leader", "lanhdao123")
    counter.login("lan", "canbo1234")
    return "lanhdao"


def lost_usb(counter, clock, **overrides):
    values = dict(detected_at=clock() - timedelta(hours=2), kind="Mất hoặc bị lấy cắp máy tính/USB",
                  description="Mất USB chứa bản quét giấy tờ của công dân tại quầy số 1",
                  data_affected="Họ tên, số CCCD, địa chỉ", people_affected="37",
                  measures="Đổi mật khẩu, báo công an phường")
    values.update(overrides)
    return counter.privacy.record_incident(**values)


def test_a_clerk_records_an_incident_and_the_72_hours_run_from_detection(counter, clock):
    incident = lost_usb(counter, clock)
    assert incident.kind == "lost_device" and incident.kind_label == "Mất hoặc bị lấy cắp máy tính/USB"
    assert incident.recorded_by == "lan" and incident.recorded_at == clock()
    assert incident.people_affected == 37
    assert incident.deadline == datetime(2026, 11, 26, 7, 0, tzinfo=VN_TZ)
    assert not incident.overdue(clock()) and incident.status(clock()) == "Còn 70 giờ để báo cáo"
    clock.advance(hours=71)
    assert incident.overdue(clock()) and incident.status(clock()) == "Quá hạn báo cáo 1 giờ"
    assert [i.id for i in counter.privacy.incidents()] == [incident.id]


def test_bad_input_is_refused_in_vietnamese(counter, clock):
    with pytest.raises(ValidationError, match="Loại sự cố không hợp lệ"):
        lost_usb(counter, clock, kind="Động đất")
    with pytest.raises(ValidationError, match="không thể ở tương lai"):
        lost_usb(counter, clock, detected_at=clock() + timedelta(hours=1))
    with pytest.raises(ValidationError, match="Phải mô tả sự cố"):
        lost_usb(counter, clock, description="  ")
    with pytest.raises(ValidationError, match="số nguyên"):
        lost_usb(counter, clock, people_affected="khoảng 30")
    counter.logout()
    with pytest.raises(DomainError, match="Chưa đăng nhập"):
        lost_usb(counter, clock)
    assert counter.privacy.incidents() == []


def test_only_a_leader_marks_it_reported_once(counter, clock, leader):
    incident = lost_usb(counter, clock)
    with pytest.raises(DomainError, match="không có quyền"):
        counter.privacy.mark_incident_reported(incident.id, "Bộ Công an (A05)")
    counter.login("lanhdao", "lanhdao123")
    with pytest.raises(ValidationError, match="trước thời điểm phát hiện"):
        counter.privacy.mark_incident_reported(incident.id, "Bộ Công an (A05)", clock() - timedelta(days=1))
    clock.advance(hours=5)
    done = counter.privacy.mark_incident_reported(incident.id, "Bộ Công an (A05)")
    assert done.reported_at == clock() and done.reported_to == "Bộ Công an (A05)"
    assert not done.overdue(clock() + timedelta(days=10))
    assert done.status(clock()).startswith("Đã báo cáo lúc")
    with pytest.raises(ValidationError, match="đã được ghi nhận là đã báo cáo"):
        counter.privacy.mark_incident_reported(incident.id, "Sở Tư pháp")


def test_a_late_report_stays_marked_late(counter, clock, leader):
    incident = lost_usb(counter, clock, kind="Truy cập trái phép")
    counter.login("lanhdao", "lanhdao123")
    clock.advance(hours=80)
    done = counter.privacy.mark_incident_reported(incident.id, "Bộ Công an (A05)")
    assert done.overdue(clock()) and "quá 72 giờ" in done.status(clock())


def test_every_kind_is_found_by_its_label_or_code():
    for code, label in INCIDENT_KINDS.items():
        assert kind_code(code) == code and kind_code(label) == code
    assert kind_code("truy cap trai phep") == "unauthorised_access"
