"""A session summary as PDF: the same HTML page (`app.store.summary`), laid out by Qt's rich-text engine.

Qt's QTextDocument reads the page's embedded PNG and QPdfWriter prints it: no extra dependency.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument

from app.store.summary import PICTURE_SIZE
from app.system.files import write_atomic

PICTURE_WIDTH_PX = 640  # Qt's rich text ignores max-width: the picture is given a width that fits A4


def pdf_bytes(page_html: str) -> bytes:
    """`page_html` (a summary page) printed to an A4 PDF, in memory (needs a QGuiApplication)."""
    doc = QTextDocument()
    height = round(PICTURE_WIDTH_PX * PICTURE_SIZE[1] / PICTURE_SIZE[0])
    sized = f'<img width="{PICTURE_WIDTH_PX}" height="{height}" src="data:'
    doc.setHtml(page_html.replace('<img src="data:', sized, 1))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setTitle(doc.metaInformation(QTextDocument.MetaInformation.DocumentTitle) or "Glimpse session")
    doc.print_(writer)
    del writer  # the document is complete once the writer is gone
    return bytes(buffer.data().data())


def write_pdf(page_html: str, out: str | Path) -> Path:
    """Print `page_html` (a summary page) to the PDF file `out`, atomically (a short temporary name in
    the same folder: any name the folder takes can be written)."""
    out = Path(out)
    write_atomic(out, pdf_bytes(page_html))
    return out
