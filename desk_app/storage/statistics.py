"""Counting the figures of ``models.statistics`` in the ward database.

Each family of figures is one aggregate query over an index (received by the clock start,
solved by the return, actions by kind and time, pending by status), grouped in SQL by the
chosen dimension, so a year on a million dossiers stays well under a second.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from ..models.clock import VN_TZ
from ..models.lifecycle import OPEN_STATUSES
from ..models.statistics import DIMENSIONS, Figures, Period, StatisticsTable
from ..models.survey import Survey, satisfaction_index
from ..models.text import fold
from .store import Store

ACTION_METRICS = {
    "supplement_requested": "supplement_requests",
    "refused": "refused",
    "withdrawn": "withdrawn",
    "apology_issued": "apologies",
    "transferred": "transferred",
    "cancelled": "cancelled",
}
LIVE = "d.status != 'cancelled'"  # a dossier entered by mistake counts only as cancelled


def _group(dimension: str | None, *, when: str, clerk: str = "d.received_by") -> str:
    if dimension is None:
        return "''"
    return {"procedure": "d.procedure_code", "domain": "p.domain", "clerk": f"coalesce({clerk}, '')",
            "month": f"substr({when}, 1, 7)"}[dimension]


def _filters(filters: Mapping[str, str], *, clerk: str = "d.received_by") -> tuple[str, list[Any]]:
    sql, params = [], []
    if filters.get("procedure"):
        sql.append("d.procedure_code = ?")
        params.append(filters["procedure"])
    if filters.get("domain"):
        sql.append("p.domain = ?")
        params.append(filters["domain"])
    if filters.get("clerk"):
        sql.append(f"{clerk} = ?")
        params.append(filters["clerk"])
    return "".join(f" AND {s}" for s in sql), params


def gather(store: Store, period: Period, *, now: datetime, dimension: str | None = None,
           filters: Mapping[str, str] | None = None, survey: Survey | None = None) -> StatisticsTable:
    """The figures of ``period``, one row per value of ``dimension`` (procedure, domain, clerk,
    month) and a total; ``filters`` keep only one procedure, domain or clerk."""
    if dimension is not None and dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    filters = {k: v for k, v in (filters or {}).items() if v}
    start, after = period.bounds()
    rows: dict[str, Figures] = {}

    def fig(key: Any) -> Figures:
        key = "" if key is None else str(key)
        if key not in rows:
            rows[key] = Figures()
        return rows[key]

    conn = store.conn
    base = "FROM dossiers d JOIN procedures p ON p.code = d.procedure_code"

    # received: the legal clock started in the period
    where, params = _filters(filters)
    for key, n in conn.execute(
        f"SELECT {_group(dimension, when='d.received_at')}, count(*) {base} "
        f"WHERE d.received_at >= ? AND d.received_at < ? AND {LIVE}{where} GROUP BY 1", (start, after, *params)):
        fig(key).counts["received"] += n

    # solved: returned in the period, judged when returned (lifecycle.apply)
    for key, timeliness, n, day_sum, day_n, share_sum, share_n in conn.execute(
        f"SELECT {_group(dimension, when='d.returned_at')}, d.timeliness, count(*), "
        "sum(julianday(d.returned_at) - julianday(d.received_at)), count(d.received_at), "
        "sum(CASE WHEN julianday(d.original_due_at) > julianday(d.received_at) THEN "
        "  (julianday(coalesce(d.result_ready_at, d.returned_at)) - julianday(d.received_at)) "
        "  / (julianday(d.original_due_at) - julianday(d.received_at)) END), "
        "count(CASE WHEN julianday(d.original_due_at) > julianday(d.received_at) THEN 1 END) "
        f"{base} WHERE d.returned_at >= ? AND d.returned_at < ? AND {LIVE}{where} GROUP BY 1, 2",
        (start, after, *params)):
        f = fig(key)
        f.counts["solved"] += n
        if timeliness in ("early", "on_time", "late"):
            f.counts[timeliness] += n
        f.days_to_return += day_sum or 0.0
        f.days_to_return_n += day_n
        f.share_of_legal_time += share_sum or 0.0
        f.share_of_legal_time_n += share_n

    # pending at the end of the period (each month's end when grouped by month)
    window = store.longest_open_days(fresh=True)
    if dimension == "month":
        for month_period in _months(period):
            if month_period.start > now.astimezone(VN_TZ).date():
                break  # a month still to come has nothing pending yet
            key = f"{month_period.start:%Y-%m}"
            _pending(conn, base, month_period.as_of(now), None, filters, lambda _k, key=key: fig(key), window)
    else:
        _pending(conn, base, period.as_of(now), dimension, filters, fig, window)

    # actions of the period by kind (the clerk who did each one)
    where_a, params_a = _filters(filters, clerk="a.clerk")
    kinds = tuple(ACTION_METRICS)
    for key, kind, n in conn.execute(
        f"SELECT {_group(dimension, when='a.at', clerk='a.clerk')}, a.kind, count(*) FROM actions a "
        "JOIN dossiers d ON d.id = a.dossier_id JOIN procedures p ON p.code = d.procedure_code "
        f"WHERE a.kind IN ({','.join('?' * len(kinds))}) AND a.at >= ? AND a.at < ? "
        f"AND ({LIVE} OR a.kind = 'cancelled'){where_a} GROUP BY 1, 2",
        (*kinds, start, after, *params_a)):
        fig(key).counts[ACTION_METRICS[kind]] += n

    # dossiers asked for supplements more than once (the rule says never; the count proves it)
    for key, n in conn.execute(
        f"SELECT {_group(dimension, when='d.created_at')}, count(*) {base} "
        f"WHERE d.supplement_requests >= 2 AND d.created_at >= ? AND d.created_at < ? AND {LIVE}{where} GROUP BY 1",
        (start, after, *params)):
        fig(key).counts["second_supplement_requests"] += n

    # satisfaction surveys answered in the period
    answers: dict[str, list[dict]] = {}
    for key, raw in conn.execute(
        f"SELECT {_group(dimension, when='s.at')}, s.answers FROM surveys s "
        "JOIN dossiers d ON d.id = s.dossier_id JOIN procedures p ON p.code = d.procedure_code "
        f"WHERE s.at >= ? AND s.at < ? AND {LIVE}{where}", (start, after, *params)):
        fig(key).counts["surveys"] += 1
        answers.setdefault("" if key is None else str(key), []).append(json.loads(raw))

    total = Figures()
    for f in rows.values():
        total.add(f)
    if survey is not None:
        for key, f in rows.items():
            f.satisfaction = satisfaction_index(survey, answers.get(key, []))
        total.satisfaction = satisfaction_index(survey, (a for group in answers.values() for a in group))

    labels = _labels(store, dimension, rows)
    if dimension == "month":
        ordered = sorted(rows.items())
    else:
        # Vietnamese order: "Cấp..." before "Chứng thực..." (by the letters without their marks first)
        ordered = sorted(rows.items(), key=lambda item: (fold(labels.get(item[0], item[0])),
                                                         labels.get(item[0], item[0]), item[0]))
    table_rows = [(key, labels.get(key, key), f) for key, f in ordered] if dimension else []
    return StatisticsTable(period, dimension, table_rows, total, period.as_of(now), filters)


def _pending(conn: Any, base: str, as_of: datetime, dimension: str | None, filters: Mapping[str, str],
             fig: Any, window_days: float) -> None:
    """Dossiers received before ``as_of`` without a result (nor a stop) at ``as_of``: those
    open now (status index), and those closed after ``as_of``, which were received at most
    ``window_days`` before it (the longest any dossier has stayed open, kept by the store), so
    a past date reads a short range of the receipt index, never the whole table."""
    t = as_of.isoformat()
    since = (as_of - timedelta(days=window_days + 1)).isoformat()
    where, params = _filters(filters)
    group = _group(dimension, when="d.received_at")
    opens = ",".join("?" * len(OPEN_STATUSES))
    parts = [
        (f"d.status IN ({opens}) AND d.received_at < ?", [*OPEN_STATUSES, t]),
        (f"d.received_at >= ? AND d.received_at < ? AND d.status NOT IN ({opens}) AND {LIVE} "
         "AND (d.result_ready_at >= ? OR (d.status = 'withdrawn' AND d.last_action_at >= ?))",
         [since, t, *OPEN_STATUSES, t, t]),
    ]
    for condition, cond_params in parts:
        for key, overdue, not_due in conn.execute(
            # a dossier whose clock stood still at as_of is not late (lifecycle.flags: "paused")
            f"SELECT {group}, sum(d.due_at < ? AND NOT coalesce(d.paused_at <= ?, 0)), "
            f"sum(d.due_at >= ? OR coalesce(d.paused_at <= ?, 0)) {base} "
            f"WHERE {condition}{where} GROUP BY 1",
            (t, t, t, t, *cond_params, *params)):
            f = fig(key)
            f.counts["pending_overdue"] += overdue or 0
            f.counts["pending_not_due"] += not_due or 0


def _months(period: Period) -> Iterable[Period]:
    day = period.start
    while day <= period.end:
        month = Period.month(day)
        yield Period(max(month.start, period.start), min(month.end, period.end))
        day = month.end + timedelta(days=1)


def _labels(store: Store, dimension: str | None, rows: Mapping[str, Figures]) -> dict[str, str]:
    if dimension == "procedure":
        names = {r["code"]: r["name"] for r in store.query("SELECT code, name FROM procedures")}
        return {k: f"{names.get(k, k)} ({k})" for k in rows}
    if dimension == "clerk":
        names = {r["username"]: r["full_name"] for r in store.query("SELECT username, full_name FROM clerks")}
        return {k: (names.get(k, k) if k else "(không rõ)") for k in rows}
    if dimension == "month":
        return {k: f"Tháng {k[5:7]}/{k[:4]}" if len(k) == 7 else k for k in rows}
    return {k: k or "(không rõ)" for k in rows}
