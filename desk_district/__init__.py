"""The district server: receives every counter's journal, hands back the district's actions.

Implements docs/sync-protocol.md (v1). ``create_app(database_url)`` builds the FastAPI app;
``desk-district`` (``desk_district.cli``) serves it and administers enrolment, revocation,
admin tokens and reference data. Storage is SQLAlchemy Core on SQLite (default) or PostgreSQL.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "create_app"]


def create_app(database_url: str, **kwargs):  # noqa: ANN201 - FastAPI is imported only when needed
    from .app import create_app as _create_app

    return _create_app(database_url, **kwargs)
