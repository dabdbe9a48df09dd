"""Personal data at the counter (PDP Law 91/2025): the access log (who looked at, printed,
exported or searched what), retention purges the leader confirms, and the incident log with its
reporting deadline. Reached as ``counter.privacy``.
"""

from __future__ import annotations

import getpass
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .models.catalogue import Retention
from .models.clock import as_vn
from .models.errors import DomainError, NotLoggedIn, ValidationError
from .models.incidents import Incident, check_incident, check_report
from .models.privacy import ACCESS_KINDS, CLI_ACTOR, AccessFilter, id_number_query, mask_id_number
from .models.retention import SYSTEM_ACTOR, Purge, PurgeGroup, add_years, effective_retention, purge_due
from .models.statistics import Period

if TYPE_CHECKING:
    from .counter import Counter
    from .dossier_desk import DossierView


class PrivacyDesk:
    def __init__(self, counter: "Counter") -> None:
        self.counter = counter
        self.store = counter.store
        self._recent_access: tuple[str | None, dict] = (None, {})  # one entry per record per login

    def _actor(self) -> tuple[str, dict[str, Any]]:
        """The clerk logged in; for a command run without login, CLI_ACTOR and the OS user."""
        if self.counter.clerk is not None:
            return self.counter.clerk.username, {}
        try:
            os_user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name on this OS: the entry still counts
            os_user = ""
        return CLI_ACTOR, {"os_user": os_user} if os_user else {}

    def log_access(self, kind: str, subject: str = "", detail: Mapping[str, Any] | None = None) -> str:
        """Append one access-log entry and return its id."""
        if kind not in ACCESS_KINDS:
            raise ValidationError(f"Loại truy cập “{kind}” không hợp lệ.", field="kind")
        clerk, extra = self._actor()
        entry_id = self.counter.new_id()
        self.store.privacy.log_access({
            "id": entry_id, "at": self.counter.now(), "clerk": clerk, "counter": self.counter.counter_no,
            "device_id": self.counter.device_id, "kind": kind, "subject": subject, "detail": {**(detail or {}), **extra},
        })
        return entry_id

    def _log_once(self, kind: str, subject: str, detail: Mapping[str, Any]) -> None:
        """A screen refreshing after an action re-reads the record and re-runs the search: one
        access, not one per refresh. A new login is a new Clerk object, so it logs again."""
        login, recent = self._recent_access
        if login is not self.counter.clerk:
            login, recent = self.counter.clerk, {}
        now = self.counter.now()
        last = recent.get((kind, subject))
        if last is not None and now - last < timedelta(minutes=self.counter.REPEAT_MINUTES):
            return
        self.log_access(kind, subject, detail)
        recent[(kind, subject)] = now
        self._recent_access = (login, recent)

    def open_record(self, key: str) -> DossierView:
        """A dossier opened with its full personal data: logged as ``view_record``."""
        if self.counter.clerk is None:
            raise NotLoggedIn()
        view = self.counter.dossiers.dossier(key)
        self._log_once("view_record", view.code, {"procedure": view.row.procedure_code})
        return view

    def open_citizen(self, citizen_id: str) -> dict[str, Any] | None:
        """A known citizen's record (the intake's returning-citizen fill): logged as ``view_record``."""
        if self.counter.clerk is None:
            raise NotLoggedIn()
        row = self.store.people.find_citizen(citizen_id=citizen_id)
        if row is not None:
            self._log_once("view_record", f"citizen:{row['id']}", {"record": "citizen"})
        return row

    def search_citizens(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Known citizens by CCCD, phone or name (intake); a search by ID number is logged (masked)."""
        rows = self.store.search.search_citizens(query, limit)
        self._log_id_search(query, "citizens", len(rows))
        return rows

    def _log_id_search(self, query: str, where: str, found: int) -> None:
        digits = id_number_query(query)
        if digits is not None:
            self._log_once("search_id", mask_id_number(digits), {"in": where, "found": found})

    def log_export(self, what: str, filename: str | Path, *, period: Period | None = None,
                   detail: Mapping[str, Any] | None = None) -> str:
        """A file written from the ward's data (a report, the tracking book, a saved paper)."""
        info: dict[str, Any] = {"what": what, **(detail or {})}
        if period is not None:
            info["period"] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        return self.log_access("export", str(filename), info)

    def access_log(self, filters: AccessFilter | Mapping[str, Any] | None = None, *,
                   limit: int = 2000) -> list[dict[str, Any]]:
        """The leader's view of the log (role leader or admin)."""
        self.counter.require_role("reports")
        return self.store.privacy.access_entries(filters, limit=limit)

    def access_clerks(self) -> list[str]:
        self.counter.require_role("reports")
        return self.store.privacy.access_clerks()

    def unsynced_access(self, limit: int = 500) -> list[dict[str, Any]]:
        return self.store.privacy.unsynced_access(limit)

    def mark_access_synced(self, ids: Iterable[str], at: datetime | None = None) -> int:
        return self.store.privacy.mark_access_synced(ids, at or self.counter.now())

    def retention_for(self, procedure_code: str) -> Retention:
        """The retention in force: the ward's setting ``retention.<code>``, else the catalogue's.
        A procedure the catalogue no longer knows is kept (never purge what we cannot judge)."""
        try:
            proc = self.counter.catalogue.get(procedure_code)
        except DomainError:
            return Retention(permanent=True)
        return effective_retention(proc.code, proc.retention, self.counter.settings())

    def purge_due_dossiers(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Dossiers past retention at ``now`` and synced: id, code, procedure_code, closed_at."""
        now = as_vn(now or self.counter.now())
        limited = {}
        for proc in self.counter.catalogue.procedures:
            retention = self.retention_for(proc.code)
            if not retention.permanent and retention.years:
                limited[proc.code] = retention
        if not limited:
            return []
        # a coarse bound first (created before closed): the exact rule is applied per dossier
        created_before = add_years(now, -min(r.years for r in limited.values())) + timedelta(days=1)
        due = []
        for row in self.store.privacy.purge_candidates(limited, created_before.isoformat()):
            closed = datetime.fromisoformat(row["closed_at"]) if row["closed_at"] else None
            if purge_due(closed, limited[row["procedure_code"]], now):
                due.append({**row, "closed_at": closed})
        return due

    def list_purge(self, now: datetime | None = None) -> Purge | None:
        """Put what is due to the leader: a new listing (replacing one not yet confirmed), or None
        when nothing is due. Removes nothing."""
        now = as_vn(now or self.counter.now())
        due = self.purge_due_dossiers(now)
        if not due:
            self.store.privacy.cancel_listed_purges()
            return None
        purge_id = self.counter.new_id()
        self.store.privacy.add_purge({"id": purge_id, "listed_at": now.isoformat(),
                                      "listed_by": self.counter.clerk.username if self.counter.clerk else SYSTEM_ACTOR,
                                      "dossier_ids": [d["id"] for d in due]})
        return self.get_purge(purge_id)

    def get_purge(self, purge_id: str) -> Purge:
        row = self.store.privacy.get_purge(purge_id)
        if row is None:
            raise DomainError(f"Không có danh sách hủy dữ liệu “{purge_id}”.", code="not_found")
        return Purge.from_row(row)

    def pending_purge(self) -> Purge | None:
        """The listing waiting for the leader, if any."""
        rows = self.store.privacy.purges("listed", limit=1)
        return Purge.from_row(rows[0]) if rows else None

    def purges(self, limit: int = 50) -> list[Purge]:
        return [Purge.from_row(r) for r in self.store.privacy.purges(limit=limit)]

    def purge_summary(self, purge: Purge | str) -> list[PurgeGroup]:
        """Counts per procedure, as the leader confirms them."""
        purge = self.get_purge(purge) if isinstance(purge, str) else purge
        counts = self.store.lists.procedure_counts(list(purge.dossier_ids))
        out = []
        for code in sorted(counts):
            name = self.counter.catalogue.name_of(code)
            out.append(PurgeGroup(code, name, self.retention_for(code).describe(), counts[code]))
        return out

    def confirm_purge(self, purge_id: str) -> Purge:
        """The leader's confirmation, then the removal, in one transaction. A listed dossier that is
        no longer due (a new action, a changed setting, not yet synced) is kept and named."""
        clerk = self.counter.require_role("confirm_purge")
        purge = self.get_purge(purge_id)
        if purge.state != "listed":
            raise DomainError(f"Danh sách hủy dữ liệu này không còn chờ xác nhận ({purge.state_label.lower()}).",
                              code="purge_state")
        now = self.counter.now()
        still_due = {d["id"] for d in self.purge_due_dossiers(now)}
        kept = [i for i in purge.dossier_ids if i not in still_due]
        stamp = now.isoformat()
        with self.store.privacy.secure_delete():
            with self.store.transaction():
                self.store.privacy.set_purge(purge.id, state="confirmed", confirmed_at=stamp, confirmed_by=clerk.username,
                                             kept_ids=kept)
                for dossier_id in purge.dossier_ids:
                    if dossier_id in still_due:
                        self.store.privacy.purge_dossier(dossier_id, stamp)
                self.store.privacy.set_purge(purge.id, state="done", done_at=stamp)
            scrubbed = self.store.privacy.scrub_after_purge()
        return replace(self.get_purge(purge.id), scrubbed=scrubbed)

    def cancel_purge(self, purge_id: str) -> Purge:
        self.counter.require_role("confirm_purge")
        purge = self.get_purge(purge_id)
        if purge.state != "listed":
            raise DomainError(f"Danh sách hủy dữ liệu này không còn chờ xác nhận ({purge.state_label.lower()}).",
                              code="purge_state")
        with self.store.transaction():
            self.store.privacy.set_purge(purge.id, state="cancelled")
        return self.get_purge(purge.id)

    def record_incident(self, *, detected_at: datetime, kind: str, description: str, data_affected: str = "",
                        people_affected: int | str | None = None, measures: str = "") -> Incident:
        """Any clerk logged in records what they found; the 72 hours run from ``detected_at``."""
        if self.counter.clerk is None:
            raise NotLoggedIn()
        now = self.counter.now()
        values = check_incident(detected_at=as_vn(detected_at), kind=kind, description=description,
                                data_affected=data_affected, people_affected=people_affected, measures=measures,
                                now=now)
        incident_id = self.counter.new_id()
        self.store.privacy.add_incident({**values, "id": incident_id, "recorded_at": now,
                                         "recorded_by": self.counter.clerk.username})
        return self.incident(incident_id)

    def incident(self, incident_id: str) -> Incident:
        row = self.store.privacy.get_incident(incident_id)
        if row is None:
            raise DomainError(f"Không có sự cố “{incident_id}”.", code="not_found")
        return Incident.from_row(row)

    def incidents(self) -> list[Incident]:
        """Newest first."""
        return [Incident.from_row(r) for r in self.store.privacy.incidents()]

    def mark_incident_reported(self, incident_id: str, reported_to: str, at: datetime | None = None) -> Incident:
        """The leader notes when and to whom the breach was reported."""
        self.counter.require_role("reports")
        incident = self.incident(incident_id)
        when = as_vn(at) if at is not None else self.counter.now()
        to = check_report(incident, reported_to=reported_to, at=when, now=self.counter.now())
        self.store.privacy.mark_incident_reported(incident.id, to, when)
        return self.incident(incident.id)

