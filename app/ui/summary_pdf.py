"""A session summary as PDF: the same HTML page (`app.store.summary`), laid out by Qt's rich-text engine.

Qt's QTextDocument reads the page's embedded PNG and QPdfWriter prints it: no extra dependency.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument

from app.store.summary import PICTURE_SIZE
from app.system.files import write_atomic

PICTURE_WIDTH_PX = 640  # Qt's rich text ignores max-width: the picture is given a width that fits A4


def write_pdf(page_html: str, out: str | Path) -> Path:
    """Print `page_html` (a summary page) to the PDF file `out`, atomically."""
    out = Path(out)
    doc = QTextDocument()
    height = round(PICTURE_WIDTH_PX * PICTURE_SIZE[1] / PICTURE_SIZE[0])
    sized = f'<img width="{PICTURE_WIDTH_PX}" height="{height}" src="data:'
    doc.setHtml(page_html.replace('<img src="data:', sized, 1))
    tmp = out.with_name(f".{out.name}.printing")
    writer = QPdfWriter(str(tmp))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setTitle(doc.metaInformation(QTextDocument.MetaInformation.DocumentTitle) or "Glimpse session")
    doc.print_(writer)
    del writer  # the file is complete once the writer is gone
    try:
        write_atomic(out, tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return out
