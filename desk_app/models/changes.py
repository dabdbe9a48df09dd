"""What an operation changed, so each screen refreshes only that (as Anki's operations return
their OpChanges): the dossier list redraws one row for a print, recounts its queues only when a
status, a due time or the clock moved; the statistics recompute only when a figure can move;
the status bar rereads the outbox only when something waits to be sent."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .lifecycle import DossierState

# Fields of a dossier's state no queue or flag reads: a change to them alone leaves the counts.
_QUEUE_BLIND = {"prints": 0, "action_count": 0, "last_action_at": None, "surveyed": False,
                "official_code": None, "data": {}}


@dataclass(frozen=True)
class Changes:
    dossiers: frozenset[str] = frozenset()  # codes whose row or journal changed
    queues: bool = False  # a dossier came, went, or moved between queues
    figures: bool = False  # the statistics can read differently (queues moved, or a survey)
    outbox: bool = False  # something new waits to be sent to the server

    def __or__(self, other: "Changes") -> "Changes":
        return Changes(self.dossiers | other.dossiers, self.queues or other.queues,
                       self.figures or other.figures, self.outbox or other.outbox)

    @property
    def empty(self) -> bool:
        return not (self.dossiers or self.queues or self.figures or self.outbox)


def dossier_changes(code: str, before: DossierState | None, after: DossierState) -> Changes:
    """One action recorded on dossier ``code`` (``before`` None: the dossier was created)."""
    if before is None:
        return Changes(frozenset({code}), queues=True, figures=True, outbox=True)
    queues = replace(before, **_QUEUE_BLIND) != replace(after, **_QUEUE_BLIND)
    return Changes(frozenset({code}), queues=queues, figures=queues or before.surveyed != after.surveyed,
                   outbox=True)
