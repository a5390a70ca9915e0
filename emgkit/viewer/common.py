"""What both viewer windows share: screenshot action, keyboard shortcuts, help overlay."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

#: Shortcuts of both modes: (key, what it does). Shown by F1 and in docs/viewer.md.
COMMON_SHORTCUTS = (
    ("Ctrl+S", "save a screenshot (PNG) of the window in the current folder"),
    ("V", "next view: raw, filtered, RMS envelope"),
    ("1 / 2 / 3", "raw / filtered / RMS envelope"),
    ("A", "amplitude scale: common to all rows / per row"),
    ("F1 or ?", "show or hide this help"),
    ("Ctrl+Q", "quit (a running recording is stopped and saved)"),
)


class HelpOverlay(QtWidgets.QLabel):
    """A semi-transparent panel listing the shortcuts over the window's centre."""

    def __init__(self, shortcuts, parent: QtWidgets.QWidget):
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                       for k, v in shortcuts)
        super().__init__(f"<h3>Keyboard shortcuts</h3><table>{rows}</table>"
                         "<p>Press F1 or ? to close.</p>", parent)
        self.setStyleSheet("background: rgba(20, 20, 30, 220); color: white; padding: 16px;"
                           " border-radius: 8px; font-size: 12pt;")
        self.setTextFormat(QtCore.Qt.RichText)
        self.adjustSize()
        self.hide()

    def toggle(self) -> None:
        """Show centred over the parent, or hide."""
        if self.isVisible():
            self.hide()
            return
        self.adjustSize()
        p = self.parentWidget()
        self.move((p.width() - self.width()) // 2, (p.height() - self.height()) // 2)
        self.show()
        self.raise_()


class ViewerWindow(QtWidgets.QMainWindow):
    """Base window: shortcuts table, help overlay, screenshots.

    Subclasses list their own shortcuts in ``SHORTCUTS`` and call :meth:`add_shortcut`.
    """

    SHORTCUTS: tuple = ()
    mode = "viewer"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.resize(1280, 860)
        self.help = HelpOverlay(self.SHORTCUTS + COMMON_SHORTCUTS, self)
        self.add_shortcut("Ctrl+S", self.save_screenshot)
        self.add_shortcut("F1", self.help.toggle)
        self.add_shortcut("?", self.help.toggle)
        self.add_shortcut("Ctrl+Q", self.close)

    def add_shortcut(self, key: str, slot) -> QtGui.QShortcut:
        """Bind ``key`` anywhere in the window to ``slot``."""
        sc = QtGui.QShortcut(QtGui.QKeySequence(key), self)
        sc.setContext(QtCore.Qt.WindowShortcut)
        sc.activated.connect(slot)
        return sc

    def save_screenshot(self, path: str | Path | None = None) -> Path:
        """Save the window as PNG (``emgkit-<mode>-<time>.png`` here if no path); return it."""
        if not path:
            path = Path.cwd() / f"emgkit-{self.mode}-{time.strftime('%Y%m%d-%H%M%S')}.png"
        path = Path(path)
        if not self.grab().save(str(path), "PNG"):
            from emgkit.errors import ConfigError

            raise ConfigError("cannot write the screenshot", path)
        self.statusBar().showMessage(f"screenshot saved: {path}", 5000)
        return path
