"""The counter database schema as ordered migrations (``PRAGMA user_version``).

Never edit a released migration: add the next one. A migration is SQL, or a function of the
connection when it needs Python (run inside the migration's transaction).
"""

from __future__ import annotations

from .driver import Connection
from typing import Callable

from ..models.text import fold


def _name_keys(conn: Connection) -> None:
    """3: a B-tree key of the folded name ("nguyen van duc"), so a name typed from its start is
    found by an index range in well under a millisecond on a million dossiers (FTS5 must read
    the doclist of "nguyen", four in ten rows, for the same query)."""
    conn.create_function("fold_name", 1, lambda text: fold(text or ""), deterministic=True)
    conn.execute("ALTER TABLE dossiers ADD COLUMN name_key TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE citizens ADD COLUMN name_key TEXT NOT NULL DEFAULT ''")
    conn.execute("UPDATE dossiers SET name_key = fold_name(applicant_name)")
    conn.execute("UPDATE citizens SET name_key = fold_name(full_name)")
    conn.execute("CREATE INDEX dossiers_name_key ON dossiers(name_key, num DESC)")
    conn.execute("CREATE INDEX citizens_name_key ON citizens(name_key, num DESC)")

MIGRATIONS: list[str | Callable[[Connection], None]] = [
    # 1: the first schema
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE procedures (
        code              TEXT PRIMARY KEY,
        name              TEXT NOT NULL,
        domain            TEXT NOT NULL,
        catalogue_version TEXT NOT NULL,
        active            INTEGER NOT NULL DEFAULT 1,
        data              TEXT NOT NULL            -- the catalogue entry as JSON
    );

    CREATE TABLE procedure_components (
        procedure_code TEXT NOT NULL REFERENCES procedures(code) ON DELETE CASCADE,
        position       INTEGER NOT NULL,
        name           TEXT NOT NULL,
        paper_kind     TEXT NOT NULL,
        count          INTEGER NOT NULL,
        required       INTEGER NOT NULL,
        note           TEXT,
        PRIMARY KEY (procedure_code, position)
    );

    CREATE TABLE form_templates (
        template_id TEXT NOT NULL,
        version     TEXT NOT NULL,
        content     TEXT NOT NULL,
        loaded_at   TEXT NOT NULL,
        PRIMARY KEY (template_id, version)
    );

    CREATE TABLE clerks (
        username      TEXT PRIMARY KEY,
        full_name     TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('clerk', 'leader', 'admin')),
        password_hash TEXT NOT NULL,
        active        INTEGER NOT NULL DEFAULT 1,
        created_at    TEXT NOT NULL
    );

    CREATE TABLE citizens (
        num         INTEGER PRIMARY KEY,          -- stable rowid for the FTS index
        id          TEXT NOT NULL UNIQUE,
        id_number   TEXT UNIQUE,                  -- CCCD / CMND, when known
        full_name   TEXT NOT NULL,
        birth_date  TEXT,
        sex         TEXT,
        phone       TEXT,
        email       TEXT,
        address     TEXT,
        data        TEXT NOT NULL DEFAULT '{}',   -- other known fields, reused at the next visit
        search_text TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX citizens_phone ON citizens(phone);

    CREATE TABLE dossiers (
        num              INTEGER PRIMARY KEY,     -- stable rowid for the FTS index
        id               TEXT NOT NULL UNIQUE,
        code             TEXT NOT NULL UNIQUE,
        official_code    TEXT UNIQUE,
        procedure_code   TEXT NOT NULL REFERENCES procedures(code),
        applicant_id     TEXT REFERENCES citizens(id),
        applicant_name   TEXT NOT NULL,
        applicant_id_number TEXT,
        applicant_phone  TEXT,
        template_id      TEXT,
        template_version TEXT,
        created_at       TEXT NOT NULL,
        -- the typed data (form, papers, principal) lives in the journal: the first action's snapshot
        -- projection of the journal (derive_state), updated in the same transaction
        status           TEXT NOT NULL,
        received_at      TEXT,
        original_due_at  TEXT,
        due_at           TEXT,
        result_ready_at  TEXT,
        notified_at      TEXT,
        returned_at      TEXT,
        timeliness       TEXT,
        supplement_requests INTEGER NOT NULL DEFAULT 0,
        apologies        INTEGER NOT NULL DEFAULT 0,
        transferred      INTEGER NOT NULL DEFAULT 0,
        last_action_at   TEXT NOT NULL,
        search_text      TEXT NOT NULL
    );
    CREATE INDEX dossiers_status_due ON dossiers(status, due_at);
    CREATE INDEX dossiers_created ON dossiers(created_at);
    CREATE INDEX dossiers_returned ON dossiers(returned_at);
    CREATE INDEX dossiers_applicant ON dossiers(applicant_id);
    CREATE INDEX dossiers_id_number ON dossiers(applicant_id_number);

    CREATE TABLE actions (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,   -- local journal order
        id         TEXT NOT NULL UNIQUE,                -- client-generated, the sync idempotency key
        dossier_id TEXT NOT NULL REFERENCES dossiers(id),
        kind       TEXT NOT NULL,
        at         TEXT NOT NULL,                       -- device time of the clerk's confirmation
        clerk      TEXT NOT NULL,
        counter    INTEGER NOT NULL,
        device_id  TEXT NOT NULL,
        payload    TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
    );
    CREATE INDEX actions_dossier ON actions(dossier_id, seq);

    -- the last hash of each device's chain, updated with every action it appends
    CREATE TABLE chain_heads (
        device_id TEXT PRIMARY KEY,
        seq       INTEGER NOT NULL,
        hash      TEXT NOT NULL
    );

    -- the journal is append-only
    CREATE TRIGGER actions_no_update BEFORE UPDATE ON actions
    BEGIN SELECT RAISE(ABORT, 'the action journal is append-only'); END;
    CREATE TRIGGER actions_no_delete BEFORE DELETE ON actions
    BEGIN SELECT RAISE(ABORT, 'the action journal is append-only'); END;

    CREATE TABLE outbox (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        action_id      TEXT NOT NULL UNIQUE REFERENCES actions(id),
        state          TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'sending', 'attention')),
        attempts       INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error     TEXT
    );

    CREATE TABLE holiday_overrides (
        day    TEXT PRIMARY KEY,
        kind   TEXT NOT NULL CHECK (kind IN ('off', 'work')),
        reason TEXT NOT NULL
    );

    CREATE TABLE code_sequences (
        day  TEXT PRIMARY KEY,     -- YYMMDD
        last INTEGER NOT NULL
    );

    CREATE VIRTUAL TABLE dossier_fts USING fts5(
        search_text, content='dossiers', content_rowid='num',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3'
    );
    CREATE TRIGGER dossiers_fts_insert AFTER INSERT ON dossiers BEGIN
        INSERT INTO dossier_fts(rowid, search_text) VALUES (new.num, new.search_text);
    END;
    CREATE TRIGGER dossiers_fts_delete AFTER DELETE ON dossiers BEGIN
        INSERT INTO dossier_fts(dossier_fts, rowid, search_text) VALUES ('delete', old.num, old.search_text);
    END;
    CREATE TRIGGER dossiers_fts_update AFTER UPDATE OF search_text ON dossiers BEGIN
        INSERT INTO dossier_fts(dossier_fts, rowid, search_text) VALUES ('delete', old.num, old.search_text);
        INSERT INTO dossier_fts(rowid, search_text) VALUES (new.num, new.search_text);
    END;

    CREATE VIRTUAL TABLE citizen_fts USING fts5(
        search_text, content='citizens', content_rowid='num',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3'
    );
    CREATE TRIGGER citizens_fts_insert AFTER INSERT ON citizens BEGIN
        INSERT INTO citizen_fts(rowid, search_text) VALUES (new.num, new.search_text);
    END;
    CREATE TRIGGER citizens_fts_delete AFTER DELETE ON citizens BEGIN
        INSERT INTO citizen_fts(citizen_fts, rowid, search_text) VALUES ('delete', old.num, old.search_text);
    END;
    CREATE TRIGGER citizens_fts_update AFTER UPDATE OF search_text ON citizens BEGIN
        INSERT INTO citizen_fts(citizen_fts, rowid, search_text) VALUES ('delete', old.num, old.search_text);
        INSERT INTO citizen_fts(rowid, search_text) VALUES (new.num, new.search_text);
    END;
    """,
    # 2: drafts — a half-typed form survives a crash or a power cut
    """
    CREATE TABLE drafts (
        id               TEXT PRIMARY KEY,
        clerk            TEXT NOT NULL,
        procedure_code   TEXT,
        template_id      TEXT,
        template_version TEXT,
        values_json      TEXT NOT NULL,
        papers_json      TEXT NOT NULL DEFAULT '[]',
        updated_at       TEXT NOT NULL
    );
    CREATE INDEX drafts_clerk ON drafts(clerk, updated_at);
    """,
    _name_keys,
    # 4: outbox counts kept by triggers: the status bar reads them on every change, and counting a
    # few million rows (a demo ward never synced) took a second
    """
    CREATE TABLE outbox_counts (
        state TEXT PRIMARY KEY,
        n     INTEGER NOT NULL
    );
    INSERT INTO outbox_counts(state, n) VALUES ('pending', 0), ('sending', 0), ('attention', 0);
    UPDATE outbox_counts SET n = (SELECT count(*) FROM outbox WHERE outbox.state = outbox_counts.state);
    CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox BEGIN
        UPDATE outbox_counts SET n = n + 1 WHERE state = new.state;
    END;
    CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox BEGIN
        UPDATE outbox_counts SET n = n - 1 WHERE state = old.state;
    END;
    CREATE TRIGGER outbox_counts_update AFTER UPDATE OF state ON outbox WHEN old.state <> new.state BEGIN
        UPDATE outbox_counts SET n = n - 1 WHERE state = old.state;
        UPDATE outbox_counts SET n = n + 1 WHERE state = new.state;
    END;
    """,
    # 5: the "needs attention" list and the push both pick outbox rows by state
    """
    CREATE INDEX outbox_state ON outbox(state, seq);
    """,
    # 6: statistics — who received each dossier, action counts by kind and time, the anonymous
    # satisfaction answers (a projection of the survey_recorded actions)
    """
    ALTER TABLE dossiers ADD COLUMN received_by TEXT;
    UPDATE dossiers SET received_by =
        (SELECT clerk FROM actions a WHERE a.dossier_id = dossiers.id ORDER BY seq LIMIT 1);
    CREATE INDEX dossiers_received ON dossiers(received_at, procedure_code, received_by);
    CREATE INDEX dossiers_result_ready ON dossiers(result_ready_at);
    CREATE INDEX dossiers_second_supplement ON dossiers(created_at) WHERE supplement_requests >= 2;
    CREATE INDEX actions_kind_at ON actions(kind, at);
    CREATE TABLE surveys (
        action_id  TEXT PRIMARY KEY REFERENCES actions(id),
        dossier_id TEXT NOT NULL REFERENCES dossiers(id),
        at         TEXT NOT NULL,
        survey     TEXT NOT NULL,     -- id@version of the questionnaire
        channel    TEXT NOT NULL,     -- citizen (on screen) or paper (typed by the clerk)
        answers    TEXT NOT NULL      -- question id -> answer; never a name
    );
    CREATE INDEX surveys_at ON surveys(at);
    INSERT INTO settings(key, value)
        SELECT 'stats.longest_open_days', printf('%.6f', coalesce(max(
            julianday(CASE WHEN status = 'withdrawn' THEN last_action_at ELSE result_ready_at END)
            - julianday(received_at)), 0))
        FROM dossiers WHERE received_at IS NOT NULL AND (result_ready_at IS NOT NULL OR status = 'withdrawn');
    """,
    # 7: personal data — who looked at, printed, exported or searched what (append-only, synced),
    # the incident log for 72-hour breach reports, and retention purges awaiting the leader
    """
    CREATE TABLE access_log (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,          -- client-generated: the sync idempotency key
        at         TEXT NOT NULL,
        clerk      TEXT NOT NULL,
        counter    INTEGER NOT NULL,
        device_id  TEXT NOT NULL,
        kind       TEXT NOT NULL,                 -- view_record, print, export, search_id
        subject    TEXT NOT NULL DEFAULT '',      -- a dossier code, a citizen id, a file; never a full ID number
        detail     TEXT NOT NULL DEFAULT '{}',
        synced_at  TEXT
    );
    CREATE INDEX access_log_at ON access_log(at);
    CREATE INDEX access_log_unsynced ON access_log(seq) WHERE synced_at IS NULL;
    CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;
    CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
        WHEN old.id <> new.id OR old.at <> new.at OR old.clerk <> new.clerk OR old.kind <> new.kind
          OR old.subject <> new.subject OR old.detail <> new.detail OR old.counter <> new.counter
          OR old.device_id <> new.device_id OR old.synced_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;

    CREATE TABLE incidents (
        id           TEXT PRIMARY KEY,
        detected_at  TEXT NOT NULL,
        recorded_at  TEXT NOT NULL,
        recorded_by  TEXT NOT NULL,
        kind         TEXT NOT NULL,               -- lost_device, unauthorised_access, wrong_disclosure, ...
        description  TEXT NOT NULL,
        data_affected TEXT NOT NULL DEFAULT '',
        people_affected INTEGER,
        measures     TEXT NOT NULL DEFAULT '',
        reported_at  TEXT,                        -- when the authority was told (72 h rule)
        reported_to  TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE purges (
        id           TEXT PRIMARY KEY,
        listed_at    TEXT NOT NULL,
        listed_by    TEXT NOT NULL,
        dossier_ids  TEXT NOT NULL,               -- JSON list: what the leader is asked to confirm
        confirmed_at TEXT,
        confirmed_by TEXT,
        done_at      TEXT,
        state        TEXT NOT NULL DEFAULT 'listed'  -- listed, confirmed, done, cancelled
    );
    """,
    # 8: retention purges — a purged action stays in the chain as a tombstone (id, links and hash
    # kept, payload blanked): the one change the journal accepts, and only for an action already
    # synced whose dossier a leader's confirmed purge names
    """
    ALTER TABLE actions ADD COLUMN purged_at TEXT;
    ALTER TABLE dossiers ADD COLUMN purged_at TEXT;
    ALTER TABLE purges ADD COLUMN kept_ids TEXT NOT NULL DEFAULT '[]';   -- listed, no longer due at confirmation
    CREATE INDEX actions_purged ON actions(dossier_id) WHERE purged_at IS NOT NULL;
    DROP TRIGGER actions_no_update;
    CREATE TRIGGER actions_no_update BEFORE UPDATE ON actions
        WHEN NOT (old.purged_at IS NULL AND new.purged_at IS NOT NULL AND new.payload = '{"purged":true}'
              AND new.seq = old.seq AND new.id = old.id AND new.dossier_id = old.dossier_id
              AND new.kind = old.kind AND new.at = old.at AND new.clerk = old.clerk
              AND new.counter = old.counter AND new.device_id = old.device_id
              AND new.prev_hash = old.prev_hash AND new.hash = old.hash
              AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.action_id = old.id)
              AND EXISTS (SELECT 1 FROM purges p, json_each(p.dossier_ids) j
                          WHERE p.state = 'confirmed' AND j.value = old.dossier_id))
    BEGIN SELECT RAISE(ABORT, 'the action journal is append-only'); END;
    """,
    # 9: a new dossier is indexed for search by Store.insert_dossier itself. Through a trigger
    # each insert was a statement with its own savepoint, and FTS5 writes its pending index out
    # as a new segment at every savepoint: a pulled page of dossiers paid a segment (and the
    # merges) each, a third of the time to apply it.
    """
    DROP TRIGGER dossiers_fts_insert;
    """,
    # 10: the pause of the legal clock is part of the projection, so the list and the queues
    # judge a paused dossier as its detail pane does (backfilled: a pause not resumed since)
    """
    ALTER TABLE dossiers ADD COLUMN paused_at TEXT;
    UPDATE dossiers SET paused_at = (
        SELECT p.at FROM actions p WHERE p.dossier_id = dossiers.id AND p.kind = 'clock_paused'
          AND NOT EXISTS (SELECT 1 FROM actions r WHERE r.dossier_id = p.dossier_id
                          AND r.kind = 'clock_resumed' AND r.seq > p.seq)
        ORDER BY p.seq DESC LIMIT 1)
    WHERE id IN (SELECT dossier_id FROM actions WHERE kind = 'clock_paused');
    """,
    # 11: pulled actions this counter cannot apply yet (a kind it does not know, a conflict, a
    # dossier it lacks) wait here, retried at every sync and shown to the clerk; never skipped
    """
    CREATE TABLE inbox (
        id            TEXT PRIMARY KEY,           -- the action's id (a digest for a malformed item)
        server_seq    INTEGER,
        dossier_id    TEXT,
        kind          TEXT NOT NULL DEFAULT '',
        content       TEXT NOT NULL,              -- the item as pulled (JSON)
        reason        TEXT NOT NULL,              -- why it could not be applied, for the clerk
        first_seen_at TEXT NOT NULL,
        last_tried_at TEXT NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX inbox_order ON inbox(server_seq);
    """,
    # 12: the form a dossier was saved from (the intake draft's id): saving the same form again
    # finds this dossier instead of making a second one, as ODK keys a submission by its instance
    """
    ALTER TABLE dossiers ADD COLUMN submission_id TEXT;
    CREATE UNIQUE INDEX dossiers_submission ON dossiers(submission_id) WHERE submission_id IS NOT NULL;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
