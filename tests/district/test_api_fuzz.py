"""The district API under schemathesis: requests generated from its own OpenAPI description,
sent with a real counter's token to the real server. No answer is a 5xx, and none carries
another ward's data (two wards are on the server, with dossiers)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.district.conftest import BIRTH



@pytest.fixture
def two_wards(server, make_desk, applicant):
    mine, theirs = make_desk(), make_desk(ward="42011", ward_name="Phường Thành Sen")
    for desk in (mine, theirs):
        assert desk.enroll(server).status_code == 200
    for n in range(3):
        mine.counter.dossiers.receive(BIRTH, {**applicant, "id_number": f"04209001{n:04d}"})
        theirs.counter.dossiers.receive(BIRTH, {**applicant, "full_name": "Hoàng Thị Riêng Tư", "sex": "Nữ",
                                                "birth_date": "01/01/1995", "id_number": f"04219555{n:04d}"})
    assert mine.push(server).status_code == 200 and theirs.push(server).status_code == 200
    codes = [r["code"] for r in theirs.counter.store.query("SELECT code FROM dossiers")]
    return mine, codes


def test_no_server_error_and_no_other_wards_data(server, two_wards):
    mine, their_codes = two_wards
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    checked = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def one(case):
            response = case.call(headers={"Authorization": f"Bearer {mine.token}"})
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
            for code in their_codes:
                assert code not in response.text, (case.method, case.path)
            assert "Hoàng Thị Riêng Tư" not in response.text and "042195550" not in response.text

        one()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert any("/api/v1/actions" in c for c in checked)
