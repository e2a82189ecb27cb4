"""PDF bytes to text and metadata with PDFium (``pypdfium2``, permissive licence).

Text is read page by page up to :data:`MAX_PAGES` pages and :data:`MAX_CHARS` characters
(strategy documents run to hundreds of pages; the index needs their substance, not every
annex). Title, author, subject, keywords and dates come from the document information
dictionary; a title that is only a file name or a word processor's placeholder
("Microsoft Word - plan_v3.docx", "untitled") is ignored, and the first non-empty line of the
text is used instead.

Encrypted (password-protected) and corrupt files raise :class:`PdfError` with a readable
message. PDFium is not thread-safe, so every call into it holds one process-wide lock.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime

from .dates import parse_pdf_date

__all__ = ["MAX_CHARS", "MAX_PAGES", "PdfContent", "PdfError", "extract_pdf", "first_line", "is_pdf"]

MAX_PAGES = 300
MAX_CHARS = 1_000_000

_LOCK = threading.Lock()
_WS_RE = re.compile(r"[ \t\u00a0]+")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_JUNK_TITLE_RE = re.compile(
    r"^(?:untitled|unbenannt|sans titre|senza titolo|sin título|naamloos|document\d*|"
    r"microsoft (?:word|powerpoint|excel)\b.*|.*\.(?:docx?|pptx?|xlsx?|odt|indd|pdf|rtf|qxp|tex|dvi))$",
    re.I,
)


class PdfError(Exception):
    """The PDF cannot be read (encrypted, corrupt or empty)."""


@dataclass
class PdfContent:
    text: str  # pages' text, paragraphs separated by blank lines, pages by a blank line
    page_count: int
    pages_read: int
    title: str | None = None
    author: str | None = None
    subject: str | None = None
    keywords: list[str] = field(default_factory=list)
    created: datetime | None = None
    modified: datetime | None = None
    truncated: bool = False
    first_line: str | None = None  # first line of text with letters (title fallback)


def is_pdf(body: bytes) -> bool:
    """True when the bytes look like a PDF (``%PDF-`` near the start, as readers accept it)."""
    return b"%PDF-" in body[:1024]


def _clean_meta(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.replace("\x00", "").split())
    return value or None


def _meaningful_title(title: str | None) -> str | None:
    title = _clean_meta(title)
    if not title or len(title) < 3 or _JUNK_TITLE_RE.match(title):
        return None
    if not re.search(r"[^\W\d_]{2,}", title):
        return None
    return title


def _lines(raw: str) -> list[str]:
    return [_WS_RE.sub(" ", ln).strip() for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _page_text(raw: str) -> str:
    """PDFium's text of a page as paragraphs.

    PDFium gives visual lines; a paragraph ends at a blank line, after a line that is clearly
    shorter than the page's usual line and ends a sentence, or at a short heading-like line.
    Words hyphenated across lines are mended.
    """
    lines = _lines(raw)
    lengths = sorted(len(ln) for ln in lines if len(ln) >= 20)
    usual = lengths[len(lengths) // 2] if lengths else 0
    paragraphs: list[str] = []
    cur: list[str] = []

    def close() -> None:
        if cur:
            paragraphs.append(" ".join(cur))
            cur.clear()

    for ln in lines:
        if not ln:
            close()
            continue
        if cur and cur[-1].endswith("\x02"):
            cur[-1] = cur[-1][:-1] + ln  # PDFium marks a soft hyphen at a line end with U+0002
        elif cur and cur[-1].endswith("-") and len(cur[-1]) > 1 and cur[-1][-2].isalpha() and ln[:1].islower():
            cur[-1] = cur[-1][:-1] + ln  # word broken across lines
        else:
            cur.append(ln)
        n = len(cur[-1]) if len(cur) == 1 else len(ln)
        if usual and (n < 0.5 * usual or (n < 0.8 * usual and ln[-1:] in ".!?:;\"”)")):
            close()
    close()
    return "\n\n".join(_CONTROL_RE.sub("", p) for p in paragraphs)


def first_line(text: str) -> str | None:
    """The first line of text with some letters in it (a PDF's visible title, usually)."""
    for line in _lines(text):
        if len(line) >= 3 and re.search(r"[^\W\d_]{2,}", line):
            return line[:300]
    return None


def extract_pdf(data: bytes, *, max_pages: int = MAX_PAGES, max_chars: int = MAX_CHARS) -> PdfContent:
    """Text and information-dictionary metadata of a PDF. Raises :class:`PdfError`."""
    if not data:
        raise PdfError("the file is empty")
    import pypdfium2 as pdfium

    with _LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            msg = str(exc)
            if "password" in msg.lower():
                raise PdfError("it is encrypted (a password is needed to open it)") from None
            detail = re.search(r"\(([^()]*)\)", msg)
            raise PdfError(f"it is corrupt or not a PDF ({detail.group(1) if detail else msg})") from None
        try:
            try:
                meta = doc.get_metadata_dict(skip_empty=True)
            except Exception:  # a broken info dictionary must not cost the text
                meta = {}
            page_count = len(doc)
            parts: list[str] = []
            total = 0
            pages_read = 0
            first: str | None = None
            truncated = page_count > max_pages
            for i in range(min(page_count, max_pages)):
                try:
                    page = doc[i]
                except pdfium.PdfiumError:
                    continue  # one unreadable page; keep the others
                try:
                    textpage = page.get_textpage()
                    try:
                        raw = textpage.get_text_bounded()
                    finally:
                        textpage.close()
                finally:
                    page.close()
                pages_read += 1
                if first is None:
                    first = first_line(raw)
                text = _page_text(raw)
                if text:
                    parts.append(text)
                    total += len(text) + 2
                if total >= max_chars:
                    truncated = truncated or i + 1 < page_count
                    break
        finally:
            doc.close()

    text = "\n\n".join(parts)
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0]
        truncated = True
    keywords = [k.strip() for k in re.split(r"[,;]", meta.get("Keywords") or "") if k.strip()]
    return PdfContent(
        text=text,
        page_count=page_count,
        pages_read=pages_read,
        title=_meaningful_title(meta.get("Title")),
        author=_clean_meta(meta.get("Author")),
        subject=_clean_meta(meta.get("Subject")),
        keywords=keywords,
        created=parse_pdf_date(meta.get("CreationDate")),
        modified=parse_pdf_date(meta.get("ModDate")),
        truncated=truncated,
        first_line=first,
    )
