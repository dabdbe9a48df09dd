"""The clerk's work queues, declared once.

A queue is a question asked of the dossier's state. ``Window`` narrows the rows storage reads
(status, due window, no apology yet, clock running: all columns of the projection); ``admits``
then asks the lifecycle (``dossier_flags``), so a queue can never disagree with the flags the
list and the detail pane show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendar import WorkingCalendar
from .errors import DomainError
from .lifecycle import OPEN_STATUSES, DossierState, dossier_flags
from .rules import counter_rules


@dataclass(frozen=True)
class Window:
    """What storage reads for a queue (every field a column of the dossiers projection)."""

    statuses: tuple[str, ...]
    due_from: datetime | None = None
    due_before: datetime | None = None
    no_apology: bool = False
    clock_running: bool = False  # paused dossiers left out


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    statuses: tuple[str, ...]
    flag: str | None = None  # the lifecycle flag every dossier listed carries
    due: str | None = None  # "today", "next_working_day": the appointment falls that day
    no_apology: bool = False
    urgent: bool = False  # shown in red when not empty
    pressing: bool = False  # shown in bold when not empty

    def window(self, now: datetime, calendar: WorkingCalendar) -> Window:
        due_from = due_before = None
        if self.due == "today":
            due_from = now
            due_before = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
        elif self.due == "next_working_day":
            due_from = datetime.combine(calendar.next_working_day(now.date()), datetime.min.time(), now.tzinfo)
            due_before = due_from + timedelta(days=1)
        elif self.flag == "overdue":
            due_before = now
        elif self.flag == "needs_apology":  # from the last day an apology is on time (lifecycle.flags)
            due_before = datetime.combine(calendar.next_working_day(now.date()) + timedelta(days=1),
                                          datetime.min.time(), now.tzinfo)
        running = self.flag is not None or self.due is not None
        return Window(self.statuses, due_from, due_before, self.no_apology or self.flag == "needs_apology",
                      running)

    def admits(self, state: DossierState, now: datetime, calendar: WorkingCalendar) -> bool:
        if state.status not in self.statuses:
            return False
        if self.flag is not None and self.flag not in dossier_flags(state, now, calendar):
            return False
        if self.due is not None and (state.paused_at is not None or state.due_at is None):
            return False
        return not (self.no_apology and state.apologies)


_LABELS = counter_rules().queue_labels  # resources/rules/counter.json
QUEUES: tuple[Queue, ...] = (
    Queue("due_today", _LABELS["due_today"], OPEN_STATUSES, due="today", pressing=True),
    Queue("due_tomorrow", _LABELS["due_tomorrow"], OPEN_STATUSES, due="next_working_day",
          no_apology=True, pressing=True),  # "hạn trả ngày mai": the last day to apologise in time
    Queue("overdue", _LABELS["overdue"], OPEN_STATUSES, flag="overdue", urgent=True, pressing=True),
    Queue("needs_apology", _LABELS["needs_apology"], OPEN_STATUSES, flag="needs_apology", urgent=True,
          pressing=True),
    Queue("ready_to_return", _LABELS["ready_to_return"], ("result_ready",)),
    Queue("waiting_supplement", _LABELS["waiting_supplement"], ("waiting_supplement",)),
    Queue("transferred", _LABELS["transferred"], ("transferred",)),
)
QUEUE_LABELS: dict[str, str] = {q.name: q.label for q in QUEUES}


def queue(name: str) -> Queue:
    for q in QUEUES:
        if q.name == name:
            return q
    raise DomainError(f"Không có danh sách “{name}”.", code="not_found")
