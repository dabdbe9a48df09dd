"""A demo ward: realistic citizens and dossiers over past months, deterministic by seed.

Every dossier goes through the real operations of ``Counter`` (validation, codes,
due times on the real calendar, the journal, the outbox) with the clock moved
along a simulated timeline, so the demo database is what a real counter would
hold. The benchmarks build their large databases with it.
"""

from __future__ import annotations

import heapq
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable

from .counter import Counter
from .models.clerks import Clerk
from .models.clock import VN_TZ, vn_now
from .models.errors import DomainError
from .models.forms import check_values, split_applicant
from .paths import resource_path

DEMO_WARD = {"ward_code": "42010", "ward_name": "Phường Đại Nài (dữ liệu mẫu)", "counter_no": 1}
DEMO_ACCOUNTS = [  # documented in the README; demo databases only
    ("admin", "Nguyễn Thị Quản Trị", "admin", "quantri123"),
    ("lan", "Trần Thị Lan", "clerk", "canbo1234"),
    ("hung", "Lê Văn Hùng", "clerk", "canbo1234"),
    ("lanhdao", "Phạm Minh Đức", "leader", "lanhdao123"),
]

# How often each procedure is asked for at a ward counter (demo weights).
PROCEDURE_WEIGHTS = {
    "1.001193": 22, "1.000656": 5, "1.000894": 7, "1.004873": 9, "2.000815": 24, "2.000884": 12,
    "2.000635": 6, "2.001035": 3, "1.000689": 1, "1.004884": 1, "1.004859": 2, "1.001022": 1,
    "2.001019": 1, "2.000913": 1, "2.000908": 1, "1.005461": 0.5, "1.004746": 0.5, "1.004837": 0.5,
    "2.002516": 1,
}


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class _SimClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class DemoWard:
    def __init__(self, counter: Counter, clock: _SimClock, rng: random.Random) -> None:
        self.counter, self.clock, self.rng = counter, clock, rng
        # surveys draw from their own stream, so the rest of the demo stays as it was
        self.survey_rng = random.Random(20261122)
        self.data = json.loads(resource_path("demo", "people.json").read_text(encoding="utf-8"))
        self.events: list[_Event] = []
        self.order = 0
        self.people: list[dict[str, Any]] = []
        self.used_ids = counter.store.people.known_id_numbers()
        self.clerks: list[Clerk] = []
        codes = [c for c in PROCEDURE_WEIGHTS if self._has(c)]
        self.procedure_codes, self.procedure_weights = codes, [PROCEDURE_WEIGHTS[c] for c in codes]
        names, weights = zip(*self.data["family_names"])
        self.family, self.family_w = list(names), list(weights)
        self.stats = {"received": 0, "supplement": 0, "refused": 0, "withdrawn": 0, "transferred": 0,
                      "late": 0, "apology": 0, "errors": 0}

    def _has(self, code: str) -> bool:
        try:
            self.counter.catalogue.get(code)
            return True
        except DomainError:
            return False

    # -- people -----------------------------------------------------------------------
    def person(self, today: date, *, min_age: int = 18, max_age: int = 80) -> dict[str, Any]:
        rng = self.rng
        if self.people and rng.random() < 0.3:
            return rng.choice(self.people)  # a returning citizen: found again by CCCD
        female = rng.random() < 0.52
        middle = rng.choice(self.data["female_middle" if female else "male_middle"])
        given = rng.choice(self.data["female_given" if female else "male_given"])
        name = f"{rng.choices(self.family, self.family_w)[0]} {middle} {given}"
        birth = today - timedelta(days=rng.randint(min_age * 365, max_age * 365))
        person = {
            "full_name": name,
            "birth_date": birth.strftime("%d/%m/%Y"),
            "sex": "Nữ" if female else "Nam",
            "id_number": self.id_number(birth, female),
            "phone": rng.choice(self.data["mobile_prefixes"]) + f"{rng.randint(0, 9_999_999):07d}",
            "address": (f"Số {rng.randint(1, 250)}, đường {rng.choice(self.data['streets'])}, "
                        f"{rng.choice(self.data['hamlets'])}, {DEMO_WARD['ward_name'].split(' (')[0]}, tỉnh Hà Tĩnh"),
        }
        if len(self.people) < 50_000:
            self.people.append(person)
        else:
            self.people[rng.randrange(len(self.people))] = person
        return person

    def id_number(self, birth: date, female: bool) -> str:
        province = "042" if self.rng.random() < 0.85 else self.rng.choice(["001", "038", "040", "044", "079"])
        century_digit = (birth.year // 100 - 19) * 2 + (1 if female else 0)
        while True:
            number = f"{province}{century_digit}{birth.year % 100:02d}{self.rng.randint(0, 999_999):06d}"
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def form_data(self, code: str, today: date, applicant: dict[str, Any]) -> dict[str, Any] | None:
        """What a clerk would type on the procedure's declaration, keyed by the template's own
        field ids and checked by the same rules as the entry screen (None: the form is refused)."""
        rng = self.rng
        values: dict[str, Any] = {}
        if code == "1.001193":  # birth: the child and the parent who registers
            child_birth = today - timedelta(days=rng.randint(1, 55))
            relation = "Mẹ" if applicant.get("sex") == "Nữ" else "Cha"
            parent = "mother" if relation == "Mẹ" else "father"
            values = {
                "relationship": relation,
                "child.full_name": f"{applicant['full_name'].split()[0]} {rng.choice(self.data['male_middle'])} "
                                   f"{rng.choice(self.data['male_given'])}",
                "child.birth_date": child_birth.strftime("%d/%m/%Y"),
                "child.sex": rng.choice(["Nam", "Nữ"]),
                "child.birth_place": rng.choice(self.data["health_facilities"]) + ", tỉnh Hà Tĩnh",
                f"{parent}.full_name": applicant["full_name"],
                f"{parent}.birth_date": applicant.get("birth_date", ""),
                f"{parent}.residence": applicant.get("address", ""),
                f"{parent}.id_number": applicant.get("id_number", ""),
            }
        elif code == "2.000815":
            values = {"document.name": rng.choice(["Giấy khai sinh", "Bằng tốt nghiệp trung học phổ thông",
                                                   "Giấy chứng nhận quyền sử dụng đất"]),
                      "pages": rng.choice([1, 1, 2, 2, 3, 4, 6, 12]), "copies": rng.choice([1, 2, 2, 3, 5])}
        proc = self.counter.catalogue.get(code)
        if not proc.declaration_template:
            return values
        template = self.counter.templates.latest(proc.declaration_template).for_procedure(proc)
        people: dict[str, dict[str, Any]] = {}  # one consistent person per block ("bride.", "deceased.")
        for f in template.fields:  # every other required field, typed as a clerk would
            if f.required and f.id not in values and not f.id.startswith("applicant.") and f.default is None:
                block, _, name = f.id.rpartition(".")
                person = people.setdefault(block, self.person(today)) if block else applicant
                known = {"full_name": person["full_name"], "birth_date": person["birth_date"],
                         "id_number": person["id_number"], "sex": person["sex"], "residence": person["address"],
                         "address": person["address"]}
                values[f.id] = known[name] if name in known and (not f.choices or known[name] in f.choices) \
                    else self.typed(f, today, applicant)
        ids = {f.id for f in template.fields}
        person = {f"applicant.{k}": v for k, v in applicant.items() if f"applicant.{k}" in ids}
        checked = check_values(template, {**values, **person}, today=today)
        if checked.errors:
            self.stats["errors"] += 1
            return None
        return split_applicant(checked.values)[1]

    def typed(self, f: Any, today: date, applicant: dict[str, Any]) -> Any:
        """A plausible value for a required field the story does not set, by its type."""
        rng = self.rng
        if f.choices:
            return rng.choice(list(f.choices))
        if f.type == "name":
            return (f"{rng.choices(self.family, self.family_w)[0]} {rng.choice(self.data['male_middle'])} "
                    f"{rng.choice(self.data['male_given'])}")
        if f.type == "birth_date" or f.id.endswith("birth_date"):
            return (today - timedelta(days=rng.randint(20 * 365, 70 * 365))).strftime("%d/%m/%Y")
        if f.type == "date":
            return (today - timedelta(days=rng.randint(10, 20 * 365))).strftime("%d/%m/%Y")
        if f.type in ("number", "money"):
            return 1
        if f.type == "phone":
            return applicant.get("phone", "")
        if f.type == "cccd":
            return applicant.get("id_number", "")
        if f.type == "bool":
            return False
        return applicant.get("address", "") if "residence" in f.id or "place" in f.id else "Theo giấy tờ kèm theo"

    # -- the timeline ---------------------------------------------------------------------
    def at(self, when: datetime, run: Callable[[], None]) -> None:
        self.order += 1
        heapq.heappush(self.events, _Event(when, self.order, run))

    def as_clerk(self) -> None:
        self.counter.clerk = self.rng.choice(self.clerks)

    def _try(self, step: Callable[[], Any]) -> Any:
        try:
            self.as_clerk()
            return step()
        except DomainError:
            self.stats["errors"] += 1  # a step the rules refuse in this story: skipped, as a clerk would
            return None

    def working_time_after(self, start: datetime, days: int, *, hour: tuple[int, int] = (8, 16)) -> datetime:
        day = self.counter.calendar.add_working_days(start.date(), days) if days else start.date()
        moment = datetime.combine(day, time(self.rng.randint(*hour), self.rng.randint(0, 59)), VN_TZ)
        return max(moment, start + timedelta(minutes=5))

    def new_dossier(self) -> None:
        rng, now = self.rng, self.clock.at
        code = rng.choices(self.procedure_codes, self.procedure_weights)[0]
        applicant = self.person(now.date())
        form = self.form_data(code, now.date(), applicant)
        if form is None:
            return  # the entry screen would not let this form through
        roll = rng.random()
        if roll < 0.02:
            self.stats["refused"] += 1
            self._try(lambda: self.counter.dossiers.refuse(rng.choice(self.data["refusal_reasons"]), procedure_code=code,
                                                           applicant=applicant, form_data=form))
            return
        if roll < 0.08:
            self.stats["supplement"] += 1
            view = self._try(lambda: self.counter.dossiers.request_supplement(
                rng.sample(self.data["supplement_items"], rng.randint(1, 2)),
                rng.choice(self.data["supplement_reasons"]), procedure_code=code, applicant=applicant,
                form_data=form, contact="Bộ phận Một cửa, điện thoại 0239 3855 xxx"))
            if view is not None and rng.random() < 0.85:
                back = self.working_time_after(now, rng.randint(1, 4))
                self.at(back, lambda: self.follow(self._try(lambda: self.counter.dossiers.supplement(view.id))))
            return
        self.follow(self._try(lambda: self.counter.dossiers.receive(code, applicant, form_data=form)))

    def follow(self, view) -> None:
        """Plan the rest of a received dossier's story."""
        if view is None:
            return
        rng, counter, now = self.rng, self.counter, self.clock.at
        self.stats["received"] += 1
        due = view.state.due_at
        same_day = view.procedure is not None and view.procedure.time_limit.kind == "same_day"
        story = rng.random()
        if story < 0.01:
            self.stats["withdrawn"] += 1
            self.at(now + timedelta(hours=rng.randint(1, 20)),
                    lambda: self._try(lambda: counter.dossiers.withdraw(view.id, "Công dân xin rút hồ sơ")))
            return
        if story < 0.06 and not same_day:
            self.stats["transferred"] += 1
            unit = rng.choice(self.data["higher_units"])
            self.at(now + timedelta(minutes=40), lambda: self._try(lambda: counter.dossiers.transfer(view.id, unit)))
            self.at(self.working_time_after(now, 1), lambda: self._try(lambda: counter.dossiers.transfer_received(view.id, unit)))
            back = min(due - timedelta(hours=2), self.working_time_after(now, rng.randint(1, 3)))
            self.at(max(back, now + timedelta(hours=3)),
                    lambda: self._try(lambda: counter.dossiers.transfer_returned(view.id, unit)))
            returned = max(back, now + timedelta(hours=3)) + timedelta(hours=rng.randint(1, 30))
            self.at(returned, lambda: self._try(lambda: counter.dossiers.return_result(view.id)))
            self._maybe_survey(view.id, returned)
            return
        if same_day:  # "không hẹn": handled and returned in one sitting, mostly
            ready = min(now + timedelta(minutes=rng.randint(10, 90)), due - timedelta(minutes=1))
            ready = max(ready, now + timedelta(minutes=1))
            back = ready + timedelta(minutes=rng.randint(1, 30))
        else:
            self.at(now + timedelta(minutes=rng.randint(5, 60)),
                    lambda: self._try(lambda: counter.dossiers.start_processing(view.id)))
            lateness = rng.random()
            if lateness < 0.03:  # late: most apologise in time with a new date
                self.stats["late"] += 1
                if rng.random() < 0.7:
                    self.stats["apology"] += 1
                    new_due = datetime.combine(counter.calendar.add_working_days(due.date(), rng.randint(2, 4)),
                                               counter.office_hours.closing, VN_TZ)
                    warn = self.working_time_after(due - timedelta(days=1), 0, hour=(8, 10))
                    self.at(max(warn, now + timedelta(hours=1)), lambda: self._try(lambda: counter.dossiers.issue_apology(
                        view.id, rng.choice(self.data["apology_reasons"]), new_due, channel="Tin nhắn")))
                ready = self.working_time_after(due, rng.randint(1, 2))
            elif lateness < 0.22:
                ready = datetime.combine(due.date(), time(rng.randint(8, 15), rng.randint(0, 59)), VN_TZ)
            else:
                days = max(0, counter.calendar.working_days_between(now.date(), due.date()) - 1)
                ready = self.working_time_after(now, rng.randint(0, days) if days else 0)
            ready = max(ready, now + timedelta(hours=1))
            back = ready + timedelta(hours=rng.choice([1, 2, 20, 26, 50]))
            if ready.date() < due.date() and rng.random() < 0.8:
                self.at(ready + timedelta(minutes=20),
                        lambda: self._try(lambda: counter.dossiers.notify_citizen(view.id, "Điện thoại")))
        self.at(ready, lambda: self._try(lambda: counter.dossiers.mark_result_ready(view.id)))
        self.at(back, lambda: self._try(lambda: counter.dossiers.return_result(view.id)))
        self._maybe_survey(view.id, back)

    def _maybe_survey(self, dossier_id: str, returned_at: datetime) -> None:
        """About four citizens in ten answer the satisfaction survey after the return."""
        rng = self.survey_rng
        if rng.random() >= 0.4:
            return
        survey = self.counter.survey
        answers: dict[str, Any] = {}
        for q in survey.questions:
            if q.kind == "scale" and rng.random() < 0.85:
                answers[q.id] = rng.choices([1, 2, 3, 4, 5], [1, 2, 6, 45, 46])[0]
            elif q.kind == "choice" and q.group == "service" and rng.random() < 0.6:
                answers[q.id] = q.choices[0] if rng.random() < 0.85 else rng.choice(q.choices)
        if not any(isinstance(v, int) for v in answers.values()):
            answers[survey.questions[0].id] = 5
        channel = "citizen" if rng.random() < 0.7 else "paper"
        self.at(returned_at + timedelta(minutes=2),
                lambda: self._try(lambda: self.counter.dossiers.record_survey(dossier_id, answers, channel=channel)))

    def run(self, dossiers: int, end: datetime, progress: Callable[[int, int], None] | None) -> None:
        cal = self.counter.calendar
        span = max(120, dossiers // 150)
        day, last = end.date() - timedelta(days=span), end.date()
        working = [day + timedelta(days=i) for i in range((last - day).days + 1)
                   if cal.is_working_day(day + timedelta(days=i))]
        per_day, extra = divmod(dossiers, len(working))
        made = 0
        for index, today in enumerate(working):
            count = per_day + (1 if index < extra else 0)
            for _ in range(count):
                moment = datetime.combine(today, time(7, 30), VN_TZ) + timedelta(minutes=self.rng.randint(0, 555))
                self.at(min(moment, end - timedelta(minutes=1)), self.new_dossier)
            horizon = datetime.combine(today + timedelta(days=1), time(0, 0), VN_TZ)
            with self.counter.store.transaction():  # one commit per simulated day
                while self.events and self.events[0].at < min(horizon, end):
                    event = heapq.heappop(self.events)
                    self.clock.at = event.at
                    if event.run == self.new_dossier:
                        made += 1
                    event.run()
            if progress and (index % 20 == 0 or index == len(working) - 1):
                progress(made, dossiers)


def generate_demo(path: Path | str, *, dossiers: int, seed: int = 1, end: datetime | None = None,
                  progress: Callable[[int, int], None] | None = None) -> str:
    """Create the demo ward at ``path`` when it is new, then add ``dossiers`` dossiers."""
    if dossiers < 0:
        raise DomainError("Số hồ sơ mẫu phải không âm.")
    rng = random.Random(seed)
    end = end or vn_now()
    clock = _SimClock(end)
    counter = Counter.open(path, create=True, clock=clock,
                           id_factory=lambda: uuid.UUID(int=rng.getrandbits(128), version=4).hex)
    try:
        if not counter.store.is_initialised():
            admin = DEMO_ACCOUNTS[0]
            counter.initialise(**DEMO_WARD, admin_username=admin[0], admin_password=admin[3],
                               admin_full_name=admin[1], extra_settings={"demo": "1"})
            counter.login(admin[0], admin[3])
            for username, full_name, role, password in DEMO_ACCOUNTS[1:]:
                counter.add_clerk(username, full_name, role, password)
        ward = DemoWard(counter, clock, rng)
        ward.clerks = [Clerk(r["username"], r["full_name"], r["role"]) for r in counter.store.reference.list_clerks()
                       if r["role"] in ("clerk", "admin")]
        ward.run(dossiers, end, progress)
        counts = counter.store.checks.counts()
    finally:
        counter.close()
    s = ward.stats
    return (f"Dữ liệu mẫu tại {path}: {counts['dossiers']} hồ sơ, {counts['citizens']} công dân, "
            f"{counts['actions']} thao tác (đợt này: {s['received']} tiếp nhận, {s['supplement']} yêu cầu bổ sung, "
            f"{s['refused']} từ chối, {s['transferred']} liên thông, {s['apology']} phiếu xin lỗi).")
