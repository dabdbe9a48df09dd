"""The satisfaction survey at return (SIPAS) and its index.

The survey (areas, questions, scale, index method) is data: ``resources/surveys/*.toml``.
Answers are anonymous: they are tied to the dossier code only, never to a name. A response is
recorded once per dossier, as a journal action, so it syncs like any other action.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import ValidationError
from .text import nfc

INDEX_METHODS = ("mean_of_areas", "all_answers")
CHANNELS: dict[str, str] = {
    "citizen": "Công dân tự đánh giá trên máy",
    "paper": "Cán bộ nhập từ phiếu giấy",
}


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    text: str
    kind: str = "scale"  # scale (1..5) or choice
    area: str | None = None  # scale questions belong to an area of the index
    group: str = "service"  # service questions, or "respondent" (sex, age group, education)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Survey:
    id: str
    version: str
    title: str
    basis: str
    note: str
    scale: Mapping[int, str]
    areas: tuple[tuple[str, str], ...]  # (id, Vietnamese label), in order
    questions: tuple[SurveyQuestion, ...]
    index_method: str = "mean_of_areas"
    satisfied_from: int = 4

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def question(self, question_id: str) -> SurveyQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def area_label(self, area_id: str) -> str:
        return dict(self.areas).get(area_id, area_id)


class SurveyError(ValidationError):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"Phiếu khảo sát lỗi ({source}): {message}")


def parse_survey(text: str, source: str = "<phiếu khảo sát>") -> Survey:
    """Parse and check a survey file; raise SurveyError (Vietnamese, naming the file)."""
    try:
        data = tomllib.loads(nfc(text))
    except tomllib.TOMLDecodeError as exc:
        raise SurveyError(source, f"không đọc được TOML ({exc}).") from None
    for key in ("id", "version", "title", "scale", "areas", "questions"):
        if key not in data:
            raise SurveyError(source, f"thiếu khóa “{key}”.")
    try:
        scale = {int(k): str(v) for k, v in data["scale"].items()}
    except ValueError:
        raise SurveyError(source, "thang điểm phải đánh số 1, 2, 3...") from None
    if sorted(scale) != list(range(1, len(scale) + 1)) or len(scale) < 3:
        raise SurveyError(source, "thang điểm phải liên tục từ 1 và có ít nhất 3 mức.")
    areas = tuple((str(a["id"]), str(a["label"])) for a in data["areas"])
    area_ids = {a for a, _ in areas}
    questions = []
    seen: set[str] = set()
    for raw in data["questions"]:
        qid = str(raw.get("id", ""))
        if not qid or qid in seen:
            raise SurveyError(source, f"câu hỏi thiếu mã hoặc trùng mã “{qid}”.")
        seen.add(qid)
        kind = raw.get("kind", "scale")
        if kind not in ("scale", "choice"):
            raise SurveyError(source, f"câu “{qid}”: loại “{kind}” không biết (scale hoặc choice).")
        area = raw.get("area")
        if kind == "scale" and area not in area_ids:
            raise SurveyError(source, f"câu “{qid}”: nhóm tiêu chí “{area}” không có trong areas.")
        choices = tuple(str(c) for c in raw.get("choices", ()))
        if kind == "choice" and len(choices) < 2:
            raise SurveyError(source, f"câu “{qid}”: cần ít nhất hai lựa chọn.")
        questions.append(SurveyQuestion(qid, str(raw.get("text", qid)), kind, area if kind == "scale" else None,
                                         str(raw.get("group", "service")), choices))
    method = data.get("index", "mean_of_areas")
    if method not in INDEX_METHODS:
        raise SurveyError(source, f"cách tính chỉ số “{method}” không biết ({', '.join(INDEX_METHODS)}).")
    satisfied_from = int(data.get("satisfied_from", 4))
    if satisfied_from not in scale:
        raise SurveyError(source, "satisfied_from phải là một mức của thang điểm.")
    return Survey(str(data["id"]), str(data["version"]), str(data["title"]), str(data.get("basis", "")),
                  str(data.get("note", "")), scale, areas, tuple(questions), method, satisfied_from)


def load_survey(path: Path) -> Survey:
    return parse_survey(path.read_text(encoding="utf-8"), path.name)


def check_answers(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers cleaned for storage; unknown questions and out-of-range values refused. A
    question left blank is simply absent (a citizen may skip any question)."""
    clean: dict[str, Any] = {}
    for qid, value in answers.items():
        question = survey.question(qid)
        if question is None:
            raise ValidationError(f"Câu hỏi “{qid}” không có trong phiếu khảo sát {survey.key}.", field=qid)
        if value in (None, ""):
            continue
        if question.kind == "scale":
            try:
                score = int(value)
            except (TypeError, ValueError):
                score = -1
            if score not in survey.scale:
                raise ValidationError(f"“{question.text}”: chọn một mức từ 1 đến {max(survey.scale)}.", field=qid)
            clean[qid] = score
        else:
            text = nfc(str(value))
            if text not in question.choices:
                raise ValidationError(f"“{question.text}”: “{text}” không phải một lựa chọn của câu hỏi.", field=qid)
            clean[qid] = text
    if not any(survey.question(q).kind == "scale" for q in clean):  # type: ignore[union-attr]
        raise ValidationError("Phiếu khảo sát chưa có câu trả lời nào về mức độ hài lòng.")
    return clean


@dataclass(frozen=True)
class SatisfactionIndex:
    responses: int
    by_area: Mapping[str, float | None]  # share satisfied, 0..1, None when nobody answered
    overall: float | None

    def percent(self, value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def satisfaction_index(survey: Survey, responses: Iterable[Mapping[str, Any]]) -> SatisfactionIndex:
    """The index over ``responses`` (each a mapping of question id to answer)."""
    area_of = {q.id: q.area for q in survey.questions if q.kind == "scale"}
    satisfied = {a: 0 for a, _ in survey.areas}
    answered = {a: 0 for a, _ in survey.areas}
    count = 0
    for answers in responses:
        count += 1
        for qid, value in answers.items():
            area = area_of.get(qid)
            if area is None or not isinstance(value, int):
                continue
            answered[area] += 1
            satisfied[area] += value >= survey.satisfied_from
    by_area = {a: (satisfied[a] / answered[a] if answered[a] else None) for a, _ in survey.areas}
    if survey.index_method == "all_answers":
        total = sum(answered.values())
        overall = sum(satisfied.values()) / total if total else None
    else:
        shares = [v for v in by_area.values() if v is not None]
        overall = sum(shares) / len(shares) if shares else None
    return SatisfactionIndex(count, by_area, overall)
