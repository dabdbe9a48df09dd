"""The counter: one per open database (the GUI, the CLI and the tests all use it, as Anki's
front end uses its Collection). It holds the session (who is logged in, with which role), the
clock, the settings and the reference data (catalogue, calendar, templates), and two managers:
``counter.dossiers`` (dossier_desk.py: the dossier path) and ``counter.privacy``
(privacy_desk.py: access log, retention, incidents). Every operation validates first,
then writes the dossier row, the journal action, the outbox row and the
projection in one transaction.
"""

from __future__ import annotations

import json
import secrets
from itertools import groupby
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from .models.calendar import OfficeHours, WorkingCalendar
from .models.catalogue import Catalogue, load_catalogue
from .models.clerks import Clerk, LoginFailed, hash_password, validate_role, validate_username, verify_password
from .models.clock import Clock, as_vn, vn_now
from .models.deadlines import DueTime, compute_due
from .models.dossier_code import validate_counter_no, validate_ward_code
from .models.errors import DomainError, NotLoggedIn, ValidationError
from .models.forms import TemplateLibrary, load_library, parse_template
from .models.journal import Action, new_id, verify_chain
from .models.lifecycle import derive_state
from .models.settings import default_of
from .models.statistics import Period, StatisticsTable
from .models.survey import Survey, load_survey
from .models.text import clean_text
from .paths import resource_path, templates_dir
from .storage.statistics import gather as gather_statistics
from .storage.records import projection
from .storage.store import Store
from .dossier_desk import DossierDesk, DossierView
from .drafts import DraftDesk
from .privacy_desk import PrivacyDesk

__all__ = ["Counter", "DossierView", "NotLoggedIn"]


class Counter:
    def __init__(self, store: Store, *, clock: Clock | None = None, catalogue: Catalogue | None = None,
                 id_factory: Callable[[], str] = new_id) -> None:
        self.store = store
        self.clock: Clock = clock or vn_now
        self.new_id = id_factory  # the demo generator passes a seeded one, to be deterministic
        self._catalogue = catalogue
        self._calendar: WorkingCalendar | None = None
        self._templates: TemplateLibrary | None = None
        self._survey: Survey | None = None
        self._settings: dict[str, str] | None = None  # read on every action: cached, dropped on change
        self.clerk: Clerk | None = None
        self.dossiers = DossierDesk(self)  # the dossier path (dossier_desk.py)
        self.privacy = PrivacyDesk(self)  # access log, retention, incidents (privacy_desk.py)
        self.drafts = DraftDesk(self)  # forms half typed at intake (drafts.py)

    @classmethod
    def open(cls, path: Path | str, *, clock: Clock | None = None, create: bool = False,
             id_factory: Callable[[], str] = new_id) -> "Counter":
        return cls(Store.open(path, create=create), clock=clock, id_factory=id_factory)

    def close(self) -> None:
        self.store.close()

    # -- set-up -------------------------------------------------------------------
    def initialise(self, *, ward_code: str, ward_name: str, counter_no: int | str, admin_username: str,
                   admin_password: str, admin_full_name: str = "Quản trị viên",
                   catalogue: Catalogue | None = None, extra_settings: Mapping[str, Any] | None = None) -> None:
        """A new ward database: its settings, the seed catalogue and the first admin."""
        if self.store.is_initialised():
            raise DomainError("Cơ sở dữ liệu này đã được khởi tạo cho một phường/xã.", code="already_initialised")
        ward_code = validate_ward_code(ward_code)
        counter_no = validate_counter_no(counter_no)
        ward_name = clean_text(ward_name)
        if len(ward_name) < 3:
            raise ValidationError("Tên phường/xã quá ngắn.", field="ward_name")
        username = validate_username(admin_username)
        password_hash = hash_password(admin_password)
        catalogue = catalogue or load_catalogue()
        self.store.reference.save_catalogue(catalogue)
        with self.store.transaction():
            self.store.set_settings({
                "ward_code": ward_code,
                "ward_name": ward_name,
                "counter_no": counter_no,
                "device_id": self.new_id(),
                "office_hours": json.dumps(OfficeHours().to_dict()),
                "saturday_working": "0",
                "paper_key": secrets.token_hex(32),  # signs the QR code on every paper
                **(extra_settings or {}),
            }, in_transaction=True)
            self.store.reference.add_clerk(username, clean_text(admin_full_name), "admin", password_hash, in_transaction=True)
        self._catalogue = catalogue
        self._settings = None

    def setting(self, key: str) -> str | None:
        """The stored value, else the declared default (models/settings.py)."""
        if self._settings is None:
            self._settings = self.store.settings()
        return self._settings.get(key, default_of(key))

    def settings(self) -> dict[str, str]:
        if self._settings is None:
            self._settings = self.store.settings()
        return dict(self._settings)

    def set_settings(self, values: Mapping[str, Any]) -> None:
        self.store.set_settings(values)
        self._settings = None
        self._calendar = None

    def _require_setting(self, key: str) -> str:
        value = self.setting(key)
        if value is None:
            raise DomainError("Cơ sở dữ liệu chưa được khởi tạo (desk-app init).", code="not_initialised")
        return value

    @property
    def ward_code(self) -> str:
        return self._require_setting("ward_code")

    @property
    def ward_name(self) -> str:
        return self._require_setting("ward_name")

    @property
    def counter_no(self) -> int:
        return int(self._require_setting("counter_no"))

    @property
    def device_id(self) -> str:
        return self._require_setting("device_id")

    @property
    def office_hours(self) -> OfficeHours:
        raw = self.setting("office_hours")
        return OfficeHours.from_dict(json.loads(raw)) if raw else OfficeHours()

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = WorkingCalendar(
                self.store.reference.holiday_overrides(),
                saturday_working=self.setting("saturday_working") == "1",
            )
        return self._calendar

    @property
    def templates(self) -> TemplateLibrary:
        """Form templates: the files in forms_templates/, plus every version the database has
        kept, so a dossier typed with an older version stays printable after an upgrade."""
        if self._templates is None:
            library = load_library(templates_dir())
            stored = self.store.reference.template_keys()
            new = [(t.id, t.version, t.text) for key, t in library.versions.items() if key not in stored]
            if new:
                with self.store.transaction():
                    self.store.reference.add_templates(new, self.now())
            for row in self.store.reference.stored_templates():
                if (row["template_id"], row["version"]) not in library.versions:
                    library.add(parse_template(row["content"], source=f"{row['template_id']} v{row['version']}"))
            self._templates = library
        return self._templates

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = self.store.reference.load_catalogue() or load_catalogue()
        return self._catalogue

    # -- clerks -----------------------------------------------------------------------
    def add_clerk(self, username: str, full_name: str, role: str, password: str) -> None:
        self.require_role("manage")
        self.store.reference.add_clerk(validate_username(username), clean_text(full_name), validate_role(role),
                                       hash_password(password))

    def login(self, username: str, password: str) -> Clerk:
        row = self.store.reference.get_clerk((username or "").strip().lower())
        if not row or not row["active"] or not verify_password(row["password_hash"], password):
            raise LoginFailed()
        self.clerk = Clerk(row["username"], row["full_name"], row["role"], bool(row["active"]))
        return self.clerk

    def logout(self) -> None:
        self.clerk = None

    def require_role(self, permission: str) -> Clerk:
        if self.clerk is None:
            raise NotLoggedIn()
        if not self.clerk.can(permission):
            raise DomainError("Tài khoản của bạn không có quyền thực hiện thao tác này.", code="forbidden")
        return self.clerk

    # -- time -----------------------------------------------------------------------
    def now(self) -> datetime:
        return as_vn(self.clock())

    def due_for(self, procedure_code: str, received_at: datetime, *, with_verification: bool = False) -> DueTime:
        proc = self.catalogue.get(procedure_code)
        return compute_due(as_vn(received_at), proc.time_limit, self.calendar, self.office_hours,
                           with_verification=with_verification)

    # -- intake: the first action creates the dossier -------------------------------------




    # -- processing and return ----------------------------------------------------------------










    # -- satisfaction -------------------------------------------------------------------
    @property
    def survey(self) -> Survey:
        """The questionnaire in force: setting ``survey.file`` (a file name under
        resources/surveys/ or a path), else the SIPAS form shipped with the app."""
        if self._survey is None:
            name = self.setting("survey.file") or "sipas.toml"
            path = Path(name) if Path(name).is_absolute() else resource_path("surveys", name)
            self._survey = load_survey(path)
        return self._survey


    def statistics(self, period: Period, *, dimension: str | None = None,
                   filters: Mapping[str, str] | None = None) -> StatisticsTable:
        return gather_statistics(self.store, period, now=self.now(), dimension=dimension, filters=filters,
                                 survey=self.survey)




    # -- drafts ---------------------------------------------------------------------------------



    # -- reading ------------------------------------------------------------------------------





    # -- writing --------------------------------------------------------------------------------



    # -- personal data: access log ----------------------------------------------------------------
    # Who viewed, printed, exported or searched by ID number (access_log, append-only, synced to
    # the district). Never a full ID number in it: searches keep only the masked number.


    REPEAT_MINUTES = 10  # the same view or search again within this time is the same access











    # -- integrity ------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Integrity of the file, of this device's journal chain, and of the projection."""
        problems: list[str] = self.store.checks.file_problems()
        last_hash = None
        for action in self.store.device_actions(self.device_id):
            last_hash = action.hash
        for p in verify_chain(self.store.device_actions(self.device_id)):
            problems.append(f"Thao tác {p.action_id}: {p.message}")
        problems += self.store.checks.search_index_problems()
        for code in self.store.privacy.purged_problems():
            problems.append(f"Hồ sơ {code}: nội dung nhật ký đã bị xóa mà không có xác nhận hủy dữ liệu của lãnh đạo.")
        if last_hash is not None and last_hash != self.store.chain_head(self.device_id):
            problems.append("Thao tác cuối của nhật ký đã bị xóa hoặc thay thế (không khớp đầu chuỗi).")
        grouped = groupby(self.store.checks.all_actions_by_dossier(), key=lambda a: a.dossier_id)
        # merge-walk: both sides sorted by dossier id, so memory stays flat
        pending = next(grouped, None)
        for row in self.store.checks.all_dossier_rows():
            while pending is not None and pending[0] < row["id"]:
                problems.append(f"Thao tác của hồ sơ không tồn tại: {pending[0]}.")
                pending = next(grouped, None)
            journal = list(pending[1]) if pending is not None and pending[0] == row["id"] else []
            if journal:
                pending = next(grouped, None)
            if row["purged_at"] is not None or any(a.purged_at is not None for a in journal):
                problems += _purged_dossier_problems(row, journal)
                continue
            try:
                state = derive_state(journal)
            except DomainError as exc:
                problems.append(f"Hồ sơ {row['code']}: nhật ký không hợp lệ ({exc.message}).")
                continue
            expected = projection(state)
            actual = {k: row.get(k) for k in expected}  # a column a later schema adds reads None
            if expected != actual:
                diff = ", ".join(k for k in expected if expected[k] != actual[k])
                problems.append(f"Hồ sơ {row['code']}: trạng thái lưu không khớp nhật ký ({diff}).")
        return problems

    # -- personal data: retention and incidents ---------------------------------------------------
    # Personal data past its retention (models/retention.py) is listed for the leader, and removed
    # only when the leader confirms; only dossiers whose actions all reached the district qualify.















def _purged_dossier_problems(row: Mapping[str, Any], journal: list[Action]) -> list[str]:
    """A purged dossier: every action a tombstone, no personal data left in its row."""
    problems = []
    if row["purged_at"] is None or any(a.purged_at is None for a in journal):
        problems.append(f"Hồ sơ {row['code']}: chỉ một phần dữ liệu được hủy (nhật ký và hồ sơ không khớp).")
    if row["applicant_name"] or row["applicant_id_number"] or row["applicant_phone"] or row["applicant_id"]:
        problems.append(f"Hồ sơ {row['code']}: đã hủy dữ liệu nhưng vẫn còn thông tin người nộp.")
    return problems
