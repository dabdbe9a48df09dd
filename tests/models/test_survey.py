"""The SIPAS survey as data, its answers, and the index, counted by hand."""

from __future__ import annotations

import pytest

from desk_app.models.errors import ValidationError
from desk_app.models.survey import SurveyError, check_answers, load_survey, parse_survey, satisfaction_index
from desk_app.paths import resource_path


@pytest.fixture(scope="module")
def sipas():
    return load_survey(resource_path("surveys", "sipas.toml"))


def test_the_shipped_survey_has_five_areas_and_a_scale_of_five(sipas):
    assert [a for a, _ in sipas.areas] == ["access", "procedure", "officer", "result", "feedback"]
    assert sipas.scale[1] == "Rất không hài lòng" and sipas.scale[5] == "Rất hài lòng"
    for area, _ in sipas.areas:
        assert any(q.area == area for q in sipas.questions), area
    assert sipas.key == "sipas@2026.1"


def test_answers_are_checked_and_blank_ones_dropped(sipas):
    clean = check_answers(sipas, {"officer_polite": "5", "trips": "1 lần", "access_place": "", "sex": None})
    assert clean == {"officer_polite": 5, "trips": "1 lần"}
    with pytest.raises(ValidationError, match="chọn một mức từ 1 đến 5"):
        check_answers(sipas, {"officer_polite": 7})
    with pytest.raises(ValidationError, match="không phải một lựa chọn"):
        check_answers(sipas, {"officer_polite": 4, "trips": "10 lần"})
    with pytest.raises(ValidationError, match="không có trong phiếu"):
        check_answers(sipas, {"name": "Nguyễn Văn A"})  # no place for a name
    with pytest.raises(ValidationError, match="chưa có câu trả lời"):
        check_answers(sipas, {"trips": "1 lần"})


def test_index_is_the_share_of_satisfied_answers_averaged_over_areas(sipas):
    responses = [
        {"access_place": 5, "officer_polite": 4, "result_on_time": 2},
        {"access_place": 3, "officer_polite": 5, "officer_guidance": 1},
        {"procedure_posted": 4, "trips": "2 lần"},
    ]
    index = satisfaction_index(sipas, responses)
    # by hand: access 1/2, procedure 1/1, officer 2/3, result 0/1, feedback none
    assert index.responses == 3
    assert index.by_area["access"] == pytest.approx(0.5)
    assert index.by_area["procedure"] == pytest.approx(1.0)
    assert index.by_area["officer"] == pytest.approx(2 / 3)
    assert index.by_area["result"] == pytest.approx(0.0)
    assert index.by_area["feedback"] is None
    assert index.overall == pytest.approx((0.5 + 1 + 2 / 3 + 0) / 4)
    assert index.percent(index.overall) == "54,2 %"


def test_all_answers_method_is_a_setting_of_the_file(sipas):
    text = resource_path("surveys", "sipas.toml").read_text(encoding="utf-8")
    other = parse_survey(text.replace('index = "mean_of_areas"', 'index = "all_answers"'), "x.toml")
    index = satisfaction_index(other, [{"access_place": 5, "officer_polite": 4, "result_on_time": 2},
                                       {"access_place": 3}])
    assert index.overall == pytest.approx(2 / 4)
    assert satisfaction_index(sipas, []).overall is None


def test_a_broken_survey_file_is_refused_with_its_name(sipas):
    text = resource_path("surveys", "sipas.toml").read_text(encoding="utf-8")
    with pytest.raises(SurveyError, match=r"hỏng\.toml.*nhóm tiêu chí"):
        parse_survey(text.replace('area = "feedback"', 'area = "nowhere"'), "hỏng.toml")
    with pytest.raises(SurveyError, match="cách tính chỉ số"):
        parse_survey(text.replace('index = "mean_of_areas"', 'index = "magic"'), "x.toml")
    with pytest.raises(SurveyError, match="TOML"):
        parse_survey("id = ", "x.toml")
