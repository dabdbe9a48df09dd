"""Store methods as older schemas knew them, to build an old ward database for upgrade tests."""

from __future__ import annotations

from desk_app.storage.records import name_key, search_text


def insert_dossier_before_v9(self, row):
    """Store.insert_dossier up to schema 8: the dossiers_fts_insert trigger indexed the row."""
    self.conn.execute(
        "INSERT INTO dossiers(id, code, official_code, procedure_code, applicant_id, applicant_name, "
        "applicant_id_number, applicant_phone, template_id, template_version, created_at, status, "
        "last_action_at, search_text, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
        (row["id"], row["code"], row.get("official_code"), row["procedure_code"], row.get("applicant_id"),
         row["applicant_name"], row.get("applicant_id_number"), row.get("applicant_phone"),
         row.get("template_id"), row.get("template_version"), row["created_at"], row["created_at"],
         search_text(row["code"], row.get("official_code"), row["applicant_name"],
                     row.get("applicant_id_number"), row.get("applicant_phone")),
         name_key(row["applicant_name"])))


def update_projection_before_v10(self, dossier_id, state):
    """Store.update_projection up to schema 9: no paused_at column yet."""
    from desk_app.storage.records import projection

    cols = {k: v for k, v in projection(state).items() if k != "paused_at"}
    self.conn.execute(f"UPDATE dossiers SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                      (*cols.values(), dossier_id))
