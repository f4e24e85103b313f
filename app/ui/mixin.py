"""The base of the pages' mixins (`LiveRecording`, `LiveViews`, `ReplayFiles`): to the type checker a QWidget,
since each is mixed into one (a page), so their own code is checked against Qt's; at run time plain `object`,
so nothing changes in the page's classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    PageMixin = QWidget
else:
    PageMixin = object
