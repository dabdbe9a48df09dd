"""Forms half typed at intake, saved as the clerk types (debounced by the screen) and offered
back at the next start, so a power cut or a closed window loses nothing. Reached as
``counter.drafts``. A form once saved as a dossier is found by ``counter.dossiers.saved_as``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    from .counter import Counter


class DraftDesk:
    def __init__(self, counter: "Counter") -> None:
        self.counter = counter

    def save(self, draft_id: str, *, procedure_code: str | None, template: tuple[str, str] | None,
             values: Mapping[str, Any], papers: Iterable[str] = ()) -> None:
        clerk = self.counter.require_role("intake")
        self.counter.store.people.save_draft({
            "id": draft_id, "clerk": clerk.username, "procedure_code": procedure_code,
            "template_id": template[0] if template else None, "template_version": template[1] if template else None,
            "values": dict(values), "papers": list(papers), "updated_at": self.counter.now().isoformat(),
        })

    def mine(self) -> list[dict[str, Any]]:
        """The logged-in clerk's drafts, newest first (every draft when nobody is logged in)."""
        return self.counter.store.people.drafts(self.counter.clerk.username if self.counter.clerk else None)

    def discard(self, draft_id: str) -> None:
        self.counter.store.people.delete_draft(draft_id)
