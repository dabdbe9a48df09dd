"""Personal data at the counter (PDP Law 91/2025, Decree 13/2023): the one owner of the
access log, the retention purges and the incident log's SQL.

The access log is append-only (triggers refuse UPDATE and DELETE). A purge keeps every dossier
row and every action (statistics and the hash chain stay whole): it blanks the citizen's data in
them and deletes the rows that are only personal data.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping

from ..models.clock import VN_TZ
from ..models.journal import canonical_json
from ..models.privacy import AccessFilter
from .driver import Connection, OperationalError
from .rows import Rows
from .records import iso, in_chunks, name_key, search_text


class PrivacyStore(Rows):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the access log
    def log_access(self, entry: Mapping[str, Any]) -> None:
        """Append one entry: id, at, clerk, counter, device_id, kind, subject, detail."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO access_log(id, at, clerk, counter, device_id, kind, subject, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry["id"], iso(entry["at"]) if not isinstance(entry["at"], str) else entry["at"],
                 entry["clerk"], int(entry["counter"]), entry["device_id"], entry["kind"],
                 entry.get("subject") or "", canonical_json(entry.get("detail") or {})),
            )

    def access_entries(self, filters: "AccessFilter | Mapping[str, Any] | None" = None, *,
                       limit: int = 2000) -> list[dict[str, Any]]:
        """Entries newest first, by period (days, in the counter's time zone), clerk and kind."""
        f = AccessFilter.of(filters)
        where, params = [], []
        lo, hi = f.bounds(VN_TZ)
        if lo:
            where.append("at >= ?")
            params.append(lo)
        if hi:
            where.append("at < ?")
            params.append(hi)
        equal, values = self.equal(clerk=f.clerk, kind=f.kind)
        where, params = where + equal, params + values
        sql = ("SELECT * FROM access_log" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY at DESC, seq DESC LIMIT ?")
        return [self._access_row(r) for r in self.query(sql, [*params, limit])]

    def access_clerks(self) -> list[str]:
        """Every clerk name the log holds (the filter's choices), including the command line's."""
        return [r["clerk"] for r in self.query("SELECT DISTINCT clerk FROM access_log ORDER BY clerk")]

    def unsynced_access(self, limit: int = 500) -> list[dict[str, Any]]:
        """The oldest entries not yet at the district, in recorded order (for the sync)."""
        return [self._access_row(r) for r in self.query(
            "SELECT * FROM access_log WHERE synced_at IS NULL ORDER BY seq LIMIT ?", [limit])]

    def mark_access_synced(self, ids: Iterable[str], at: datetime | str) -> int:
        """Stamp entries the district confirmed; an entry is stamped once (the trigger refuses more)."""
        stamp = at if isinstance(at, str) else at.isoformat()
        done = 0
        with self.transaction():
            for marks, chunk in in_chunks(list(ids)):
                done += self.conn.execute(
                    f"UPDATE access_log SET synced_at = ? WHERE synced_at IS NULL AND id IN ({marks})",
                    [stamp, *chunk]).rowcount
        return done

    @staticmethod
    def _access_row(r: dict[str, Any]) -> dict[str, Any]:
        r["at"] = datetime.fromisoformat(r["at"])
        r["detail"] = json.loads(r["detail"] or "{}")
        return r

    # -- retention purges
    def purge_candidates(self, procedure_codes: Iterable[str], created_before: str) -> list[dict[str, Any]]:
        """Closed, not yet purged dossiers of these procedures, created before ``created_before``,
        none of whose actions still waits in the outbox, with the time of their closing action."""
        codes = list(procedure_codes)
        if not codes:
            return []
        marks = ",".join("?" * len(codes))
        return list(self.query(
            "SELECT d.id, d.code, d.procedure_code, (SELECT a.at FROM actions a WHERE a.dossier_id = d.id "
            "  AND a.kind IN ('returned', 'refused', 'withdrawn') ORDER BY a.seq DESC LIMIT 1) AS closed_at "
            "FROM dossiers d WHERE d.status IN ('returned', 'refused', 'withdrawn') AND d.purged_at IS NULL "
            f"AND d.procedure_code IN ({marks}) AND d.created_at < ? "
            "AND NOT EXISTS (SELECT 1 FROM actions a JOIN outbox o ON o.action_id = a.id WHERE a.dossier_id = d.id) "
            "ORDER BY d.created_at", [*codes, created_before]))

    def add_purge(self, purge: Mapping[str, Any]) -> None:
        """A new listing; earlier listings never confirmed are superseded (one pending at a time)."""
        with self.transaction():
            self.conn.execute("UPDATE purges SET state = 'cancelled' WHERE state = 'listed'")
            self.conn.execute(
                "INSERT INTO purges(id, listed_at, listed_by, dossier_ids, state) VALUES (?, ?, ?, ?, 'listed')",
                (purge["id"], purge["listed_at"], purge["listed_by"], canonical_json(list(purge["dossier_ids"]))))

    def cancel_listed_purges(self) -> int:
        with self.transaction():
            return self.conn.execute("UPDATE purges SET state = 'cancelled' WHERE state = 'listed'").rowcount

    def get_purge(self, purge_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM purges WHERE id = ?", [purge_id])

    def purges(self, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = "SELECT * FROM purges" + (" WHERE state = ?" if state else "") + " ORDER BY listed_at DESC LIMIT ?"
        return list(self.query(sql, [state, limit] if state else [limit]))

    def set_purge(self, purge_id: str, **columns: Any) -> None:
        """Update a listing's state and stamps. Call inside the purge's transaction."""
        values = {k: canonical_json(v) if isinstance(v, list) else v for k, v in columns.items()}
        self.conn.execute(f"UPDATE purges SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                          (*values.values(), purge_id))

    def purge_dossier(self, dossier_id: str, purged_at: str) -> None:
        """Remove one dossier's personal data. Call inside a transaction whose purge listing naming
        it is 'confirmed' (the journal's trigger refuses a tombstone otherwise)."""
        row = self._one("SELECT code, official_code, applicant_id, applicant_name, applicant_id_number "
                        "FROM dossiers WHERE id = ?", [dossier_id])
        if row is None:
            return
        self.conn.execute("UPDATE actions SET payload = ?, purged_at = ? WHERE dossier_id = ? AND purged_at IS NULL",
                          (canonical_json({"purged": True}), purged_at, dossier_id))
        self.conn.execute("DELETE FROM surveys WHERE dossier_id = ?", (dossier_id,))
        self.conn.execute(
            "UPDATE dossiers SET applicant_id = NULL, applicant_name = '', applicant_id_number = NULL, "
            "applicant_phone = NULL, name_key = '', search_text = ?, purged_at = ? WHERE id = ?",
            (search_text(row["code"], row["official_code"]), purged_at, dossier_id))
        citizen = self._one("SELECT id, id_number, full_name FROM citizens WHERE id = ?", [row["applicant_id"]])
        if citizen is not None and not self._one("SELECT 1 FROM dossiers WHERE applicant_id = ? LIMIT 1",
                                                 [citizen["id"]]):
            self.conn.execute("DELETE FROM citizens WHERE id = ?", (citizen["id"],))
        self._delete_drafts_of(row["applicant_id_number"], row["applicant_name"])

    def _delete_drafts_of(self, id_number: str | None, full_name: str | None) -> None:
        """A half-typed form about the same person (drafts are not linked to dossiers)."""
        digits = re.sub(r"\D", "", id_number or "")
        key = name_key(full_name)
        for draft in list(self.query("SELECT id, values_json FROM drafts")):
            values = [v for v in json.loads(draft["values_json"]).values() if isinstance(v, str)]
            if any((digits and re.sub(r"\D", "", v) == digits) or (key and name_key(v) == key) for v in values):
                self.conn.execute("DELETE FROM drafts WHERE id = ?", (draft["id"],))

    def scrub_after_purge(self) -> bool:
        """Leave the removed text nowhere in the file: the search indexes rewritten without the
        purged words, then VACUUM (a page rebuilt by SQLite keeps stale bytes in its unused space,
        which secure_delete does not clear) and the WAL moved into the file. False when that could
        not finish (a full disk, another program reading): the data is removed all the same, and the
        next purge or backup-restore cycle rewrites the file."""
        with self.transaction():
            self.conn.execute("INSERT INTO dossier_fts(dossier_fts) VALUES ('optimize')")
            self.conn.execute("INSERT INTO citizen_fts(citizen_fts) VALUES ('optimize')")
        try:
            self.conn.execute("VACUUM")
            busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except OperationalError:
            return False
        return busy == 0

    @contextmanager
    def secure_delete(self) -> Iterator[None]:
        """Deleted content overwritten with zeros (SQLite leaves it in free space otherwise)."""
        previous = self.conn.execute("PRAGMA secure_delete").fetchone()[0]
        self.conn.execute("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA secure_delete = {int(previous)}")

    def purged_problems(self) -> list[str]:
        """Tombstones no confirmed purge accounts for (a payload blanked by hand)."""
        allowed: set[str] = set()
        for r in self.query("SELECT dossier_ids FROM purges WHERE state IN ('confirmed', 'done')"):
            allowed.update(json.loads(r["dossier_ids"]))
        out = []
        for r in self.query("SELECT DISTINCT a.dossier_id, d.code FROM actions a LEFT JOIN dossiers d "
                            "ON d.id = a.dossier_id WHERE a.purged_at IS NOT NULL"):
            if r["dossier_id"] not in allowed:
                out.append(r["code"] or r["dossier_id"])
        return out

    # -- incidents
    def add_incident(self, incident: Mapping[str, Any]) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO incidents(id, detected_at, recorded_at, recorded_by, kind, description, data_affected, "
                "people_affected, measures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (incident["id"], iso(incident["detected_at"]), iso(incident["recorded_at"]),
                 incident["recorded_by"], incident["kind"], incident["description"], incident["data_affected"],
                 incident["people_affected"], incident["measures"]))

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM incidents WHERE id = ?", [incident_id])

    def incidents(self) -> list[dict[str, Any]]:
        return list(self.query("SELECT * FROM incidents ORDER BY detected_at DESC, recorded_at DESC"))

    def mark_incident_reported(self, incident_id: str, reported_to: str, at: datetime) -> None:
        with self.transaction():
            self.conn.execute("UPDATE incidents SET reported_at = ?, reported_to = ? WHERE id = ? "
                              "AND reported_at IS NULL", (at.isoformat(), reported_to, incident_id))
