"""The papers a dossier can have, declared once: what each is called, which journal step must
come before it, and whether a print is an original or a reprint. The printing room renders
them, the screens list them, the journal records them: all from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .journal import Action


@dataclass(frozen=True)
class PaperKind:
    name: str
    label: str  # what the clerk calls it (the template's own title is printed)
    after: tuple[str, ...] = ()  # the journal steps, any of which it needs first (none: see ``available``)


PAPER_KINDS: tuple[PaperKind, ...] = (
    PaperKind("receipt", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    PaperKind("declaration", "Tờ khai"),
    PaperKind("supplement", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", ("supplement_requested",)),
    PaperKind("refusal", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", ("refused",)),
    PaperKind("apology", "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết", ("apology_issued",)),
    PaperKind("stop_notice", "Thông báo dừng giải quyết hồ sơ", ("withdrawn",)),
    # goes with every dossier the one-stop hands over: to the ward's specialist, or to the level above
    PaperKind("control", "Phiếu kiểm soát quá trình giải quyết hồ sơ", ("processing_started", "transferred")),
)
DOSSIER_PAPERS: tuple[str, ...] = tuple(k.name for k in PAPER_KINDS)
PAPER_LABELS: dict[str, str] = {k.name: k.label for k in PAPER_KINDS}
NEEDED_STEP: dict[str, tuple[str, ...]] = {k.name: k.after for k in PAPER_KINDS if k.after}


def available(*, received: bool, has_declaration: bool, kinds: Iterable[str]) -> list[str]:
    """The papers a dossier has now: the receipt once received (or returned), its declaration
    when it has a form, and each slip once its step is in the journal."""
    done = set(kinds)
    out = ["receipt"] if received else []
    if has_declaration:
        out.append("declaration")
    return out + [k.name for k in PAPER_KINDS if done & set(k.after)]


def copy_kind(actions: Iterable[Action], form: str) -> str:
    """The one reprint rule: a paper printed before is a reprint ("Bản in lại") from then on."""
    return "reprint" if any(a.kind == "printed" and a.payload.get("form") == form for a in actions) else "original"
