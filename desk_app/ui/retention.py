"""The leader's screen for retention purges: what is past its retention (counts per procedure),
then confirm or cancel. Every rule is in ``Counter``; this only shows and asks."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter
from ..models.errors import DomainError
from ..models.retention import SYSTEM_ACTOR, Purge

HEADERS = ("Mã thủ tục", "Thủ tục", "Thời hạn lưu trữ", "Số hồ sơ")
EXPLAIN = ("Hồ sơ đã trả kết quả, từ chối hoặc dừng giải quyết, đã quá thời hạn lưu trữ của thủ tục (tính từ ngày "
           "kết thúc) và đã đồng bộ lên máy chủ cấp tỉnh. Khi lãnh đạo xác nhận, họ tên, số định danh, điện thoại, "
           "địa chỉ và nội dung tờ khai của các hồ sơ này bị xóa khỏi máy quầy; mã hồ sơ, thủ tục và trạng thái "
           "vẫn được giữ cho thống kê. Không thể hoàn tác.")


class RetentionDialog(QDialog):
    """Refuses (DomainError) to open for a clerk without the right to confirm a purge."""

    def __init__(self, counter: Counter, parent: QWidget | None = None, *, ask: bool = True) -> None:
        super().__init__(parent)
        if counter.clerk is None or not counter.clerk.can("confirm_purge"):
            raise DomainError("Chỉ lãnh đạo hoặc quản trị viên được xem và xác nhận hủy dữ liệu cá nhân.",
                              code="forbidden")
        self.counter = counter
        self.ask = ask  # tests answer the confirmation themselves
        self.purge: Purge | None = None
        self.setWindowTitle("Hủy dữ liệu cá nhân hết thời hạn lưu trữ")
        self.setObjectName("retention")
        self.resize(900, 480)
        explain = QLabel(EXPLAIN, wordWrap=True)
        self.status = QLabel("", objectName="status", wordWrap=True)
        self.table = QTableWidget(0, len(HEADERS), objectName="groups")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.list_button = QPushButton("Lập danh sách mới", objectName="list")
        self.confirm_button = QPushButton("Xác nhận hủy dữ liệu", objectName="confirm")
        self.cancel_button = QPushButton("Hủy bỏ danh sách", objectName="cancel")
        close = QPushButton("Đóng")
        self.list_button.clicked.connect(self.make_list)
        self.confirm_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.cancel_list)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.list_button, self.confirm_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.show_purge(counter.privacy.pending_purge())

    def _name(self, username: str | None) -> str:
        if username == SYSTEM_ACTOR:
            return "dòng lệnh"
        row = self.counter.store.reference.get_clerk(username or "")
        return row["full_name"] if row else (username or "")

    def show_purge(self, purge: Purge | None, note: str = "") -> None:
        self.purge = purge
        pending = purge is not None and purge.state == "listed"
        groups = self.counter.privacy.purge_summary(purge) if pending else []
        self.table.setRowCount(len(groups))
        for r, g in enumerate(groups):
            for c, value in enumerate((g.procedure_code, g.procedure_name, g.retention, str(g.count))):
                self.table.setItem(r, c, QTableWidgetItem(value))
        if pending:
            text = (f"Danh sách lập lúc {purge.listed_at:%H:%M %d/%m/%Y} ({self._name(purge.listed_by)}): "
                    f"{len(purge.dossier_ids)} hồ sơ chờ lãnh đạo xác nhận. Chưa xóa dữ liệu nào.")
        else:
            text = "Chưa có danh sách nào chờ xác nhận. Bấm “Lập danh sách mới” để kiểm tra hồ sơ đến hạn."
        self.status.setText(f"{note}\n{text}".strip())
        self.confirm_button.setEnabled(pending)
        self.cancel_button.setEnabled(pending)

    def make_list(self) -> None:
        try:
            purge = self.counter.privacy.list_purge()
        except DomainError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return
        self.show_purge(purge, "" if purge else "Không có hồ sơ nào đã hết thời hạn lưu trữ và đã đồng bộ.")

    def confirm(self) -> None:
        if self.purge is None:
            return
        count = len(self.purge.dossier_ids)
        if self.ask and QMessageBox.question(
                self, "Xác nhận hủy dữ liệu cá nhân",
                f"Xóa vĩnh viễn dữ liệu cá nhân của {count} hồ sơ đã hết thời hạn lưu trữ?\n"
                f"Người xác nhận: {self.counter.clerk.full_name}. Không thể hoàn tác.",
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return
        try:
            done = self.counter.privacy.confirm_purge(self.purge.id)
        except DomainError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return
        note = (f"Đã xóa dữ liệu cá nhân của {done.purged_count} hồ sơ "
                f"({self._name(done.confirmed_by)} xác nhận lúc {done.confirmed_at:%H:%M %d/%m/%Y}).")
        if done.kept_ids:
            note += f" Giữ lại {len(done.kept_ids)} hồ sơ không còn đủ điều kiện."
        if done.scrubbed is False:
            note += " Chưa dọn lại được tệp dữ liệu: hãy đóng phần mềm rồi mở lại."
        self.show_purge(None, note)

    def cancel_list(self) -> None:
        if self.purge is None:
            return
        try:
            self.counter.privacy.cancel_purge(self.purge.id)
        except DomainError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return
        self.show_purge(None, "Đã hủy bỏ danh sách; không xóa dữ liệu nào.")
