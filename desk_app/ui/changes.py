"""Changes made on another screen (a dossier saved at intake, actions pulled from the server),
kept for a screen while it is hidden and applied the moment it shows: a hidden list costs
nothing, a shown one is never stale."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QWidget

from ..models.changes import Changes


class PendingChanges:
    def __init__(self, screen: QWidget, apply: Callable[[Changes], object]) -> None:
        self.screen, self.apply, self.waiting = screen, apply, None

    def add(self, changes: Changes) -> None:
        self.waiting = changes if self.waiting is None else self.waiting | changes
        if self.screen.isVisible():
            self.flush()

    def flush(self) -> None:
        """Apply what waits (the screen's showEvent calls this)."""
        waiting, self.waiting = self.waiting, None
        if waiting is not None:
            self.apply(waiting)
