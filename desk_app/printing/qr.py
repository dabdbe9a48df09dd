"""The verification QR code drawn on a paper's first page.

ReportLab's encoder is used as is, with two speed-ups that give the same modules (tested
against digests made by the untouched encoder): the Reed-Solomon generator is cached, and the
polynomial remainder is a loop instead of a recursion.
"""

from __future__ import annotations

from functools import lru_cache

from reportlab.graphics.barcode.qrencoder import (
    EXP_TABLE,
    LOG_TABLE,
    QRCode,
    QRErrorCorrectLevel,
    QRPolynomial,
    QRUtil,
)
from reportlab.lib import colors
from reportlab.pdfgen import canvas as rl_canvas

# The Reed-Solomon generator depends only on the error-correction length and is never
# mutated; ReportLab rebuilds it for every block of every code (half the encoding time).
if not hasattr(QRUtil.getErrorCorrectPolynomial, "cache_info"):
    QRUtil.getErrorCorrectPolynomial = staticmethod(lru_cache(maxsize=64)(QRUtil.getErrorCorrectPolynomial))


def _poly_mod(self: QRPolynomial, e: QRPolynomial) -> QRPolynomial:
    """ReportLab's remainder, as a loop over table lookups instead of one new polynomial per
    step (recursive there); the same result."""
    num, divisor = list(self.num), e.num
    size = len(divisor)
    logs = [LOG_TABLE[c] for c in divisor]
    start = 0
    while len(num) - start >= size:
        lead = num[start]
        if lead:
            ratio = LOG_TABLE[lead] - logs[0]
            for i in range(size):
                num[start + i] ^= EXP_TABLE[(logs[i] + ratio) % 255]
        start += 1
    return QRPolynomial(num[start:] or [0], 0)


QRPolynomial.mod = _poly_mod


def qr_matrix(text: str) -> list[list[bool]]:
    """QR modules for ``text`` (level M). One fixed mask pattern: ReportLab's widget tries all
    eight and draws a shape per module, 100 ms per paper; any mask is valid QR."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(text)
    code.version = code.calculate_version()
    code.makeImpl(False, 2)
    return code.modules


def draw_qr(canvas: rl_canvas.Canvas, text: str, x: float, y: float, side: float) -> None:
    modules = qr_matrix(text)
    quiet = 2  # modules of white border, inside ``side``
    count = len(modules)
    unit = side / (count + 2 * quiet)
    ops: list[str] = []
    for row, cells in enumerate(modules):  # one rectangle per run of dark modules, in module units
        top = count - 1 - row
        col = 0
        while col < count:
            if cells[col]:
                start = col
                while col < count and cells[col]:
                    col += 1
                ops.append(f"{start} {top} {col - start} 1 re")
            else:
                col += 1
    canvas.saveState()
    canvas.translate(x + quiet * unit, y + quiet * unit)
    canvas.scale(unit, unit)
    canvas.setFillColor(colors.black)
    # Integer rectangles as literal operators: the same marks as a path of rects, a third of the time
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()
