"""A small PDF writer for the fixture web: text documents in Helvetica, no dependencies.

:func:`make_pdf` lays out a title, an author line and paragraphs on A4 pages, word-wrapped
with the Helvetica metrics, in WinAnsiEncoding (Windows-1252). Characters outside that
encoding are replaced by their unaccented base letter (``ė`` → ``e``, ``ł`` → ``l``) or by
``?``. The output is deterministic: the same arguments give the same bytes, which is what the
fixture web needs for cross-site duplicates of one PDF.
"""

from __future__ import annotations

import unicodedata
import zlib
from datetime import datetime, timezone

__all__ = ["make_pdf", "to_winansi", "text_width"]

PAGE_WIDTH = 595  # A4 in points
PAGE_HEIGHT = 842
MARGIN_X = 72
MARGIN_TOP = 72
MARGIN_BOTTOM = 72
BODY_SIZE = 11
BODY_LEADING = 15
TITLE_SIZE = 17
TITLE_LEADING = 22

# Advance widths (1/1000 em) of Helvetica for printable ASCII, from the font's AFM metrics.
_ASCII_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p..~
]
_SPECIAL_WIDTHS = {
    "€": 556, "‚": 222, "ƒ": 556, "„": 333, "…": 1000, "†": 556, "‡": 556, "ˆ": 333,
    "‰": 1000, "‹": 333, "›": 333, "Œ": 1000, "œ": 944, "‘": 222, "’": 222, "“": 333,
    "”": 333, "•": 350, "–": 556, "—": 1000, "˜": 333, "™": 1000, "¡": 333, "¢": 556,
    "£": 556, "¤": 556, "¥": 556, "¦": 260, "§": 556, "¨": 333, "©": 737, "ª": 370,
    "«": 556, "¬": 584, "\xad": 333, "®": 737, "¯": 333, "°": 400, "±": 584, "²": 333,
    "³": 333, "´": 333, "µ": 556, "¶": 537, "·": 278, "¸": 333, "¹": 333, "º": 365,
    "»": 556, "¼": 834, "½": 834, "¾": 834, "¿": 611, "Æ": 1000, "Ø": 778, "Þ": 667,
    "ß": 611, "æ": 889, "ð": 556, "ø": 611, "þ": 556, "×": 584, "÷": 584, "Ð": 722,
}
# Replacements for common characters that WinAnsiEncoding lacks and that have no base letter.
_FALLBACKS = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŀ": "l",
    "‐": "-", "‑": "-", "‒": "-", "−": "-", "―": "—", "′": "'", "″": '"', "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "\u200b": "", "→": "->", "←": "<-", "≥": ">=", "≤": "<=",
    "≈": "~", "✓": "v", "\t": " ",
}


def to_winansi(text: str) -> str:
    """Return *text* with every character representable in Windows-1252 (WinAnsiEncoding)."""
    out: list[str] = []
    for ch in text:
        try:
            ch.encode("cp1252")
        except UnicodeEncodeError:
            pass
        else:
            if ch >= " " or ch == "\n":
                out.append(ch)
            continue
        if ch in _FALLBACKS:
            out.append(_FALLBACKS[ch])
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        try:
            base.encode("cp1252")
        except UnicodeEncodeError:
            base = ""
        out.append(base if base else "?")
    return "".join(out)


def _char_width(ch: str) -> int:
    code = ord(ch)
    if 32 <= code <= 126:
        return _ASCII_WIDTHS[code - 32]
    if ch in _SPECIAL_WIDTHS:
        return _SPECIAL_WIDTHS[ch]
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base and 32 <= ord(base) <= 126:
        return _ASCII_WIDTHS[ord(base) - 32]
    return 556


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of *text* set in Helvetica (bold is estimated 6% wider)."""
    width = sum(_char_width(ch) for ch in text) * size / 1000.0
    return width * 1.06 if bold else width


def _wrap(text: str, size: float, max_width: float, bold: bool = False) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        # a word longer than the line is cut into pieces that fit
        while text_width(word, size, bold) > max_width:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold) > max_width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold) <= max_width:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _pdf_string(text: str) -> bytes:
    """A literal string for a content stream, in WinAnsiEncoding."""
    raw = to_winansi(text).encode("cp1252")
    raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + raw + b")"


def _text_string(text: str) -> bytes:
    """A PDF text string (document information): ASCII literal, else UTF-16BE with BOM."""
    if all(32 <= ord(c) < 127 for c in text):
        raw = text.encode("ascii")
        raw = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        return b"(" + raw + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _pdf_date(when: datetime) -> bytes:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    offset = when.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        tz = "Z"
    else:
        sign = "+" if minutes > 0 else "-"
        minutes = abs(minutes)
        tz = f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"
    return f"(D:{when.strftime('%Y%m%d%H%M%S')}{tz})".encode("ascii")


def _layout(title: str, author: str | None, paragraphs: list[str]) -> list[list[tuple[str, str, float]]]:
    """Split the document into pages of (font, text, baseline y) lines."""
    width = PAGE_WIDTH - 2 * MARGIN_X
    pages: list[list[tuple[str, str, float]]] = []
    page: list[tuple[str, str, float]] = []
    y = PAGE_HEIGHT - MARGIN_TOP

    def put(font: str, text: str, leading: float) -> None:
        nonlocal page, y
        if y - leading < MARGIN_BOTTOM and page:
            pages.append(page)
            page = []
            y = PAGE_HEIGHT - MARGIN_TOP
        y -= leading
        page.append((font, text, y))

    for line in _wrap(title, TITLE_SIZE, width, bold=True):
        put("F2", line, TITLE_LEADING)
    if author:
        y -= 4
        for line in _wrap(author, BODY_SIZE, width):
            put("F1", line, BODY_LEADING)
    y -= BODY_LEADING / 2
    for paragraph in paragraphs:
        lines = _wrap(paragraph, BODY_SIZE, width)
        if not lines:
            continue
        y -= BODY_LEADING / 2  # space between paragraphs
        for line in lines:
            put("F1", line, BODY_LEADING)
    if page or not pages:
        pages.append(page)
    return pages


def _content_stream(lines: list[tuple[str, str, float]]) -> bytes:
    ops = [b"BT"]
    for font, text, y in lines:
        size = TITLE_SIZE if font == "F2" else BODY_SIZE
        ops.append(
            b"/%s %d Tf 1 0 0 1 %d %.2f Tm %s Tj"
            % (font.encode("ascii"), size, MARGIN_X, y, _pdf_string(text))
        )
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def make_pdf(
    title: str,
    author: str | None,
    paragraphs: list[str],
    created: datetime,
    lang: str | None = None,
) -> bytes:
    """Return the bytes of a PDF with *title*, an author line and *paragraphs* of text.

    Pages are A4; text is Helvetica (standard font, not embedded) in WinAnsiEncoding. The
    document information dictionary holds Title, Author, CreationDate and ModDate; *lang*
    (e.g. ``"nl"``) goes into the catalogue's ``/Lang``.
    """
    pages = _layout(title, author, paragraphs)
    # Object numbers: 1 catalog, 2 pages, 3 regular font, 4 bold font, 5 info, then per page
    # a page object and its content stream.
    objects: dict[int, bytes] = {}
    first_page = 6
    kids = [first_page + 2 * i for i in range(len(pages))]
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    if lang:
        catalog += b" /Lang " + _text_string(lang)
    objects[1] = catalog + b" >>"
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(pages),
    )
    objects[3] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects[4] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    info = b"<< /Title " + _text_string(title)
    if author:
        info += b" /Author " + _text_string(author)
    info += b" /Producer (Circular City Portal fixture web)"
    info += b" /CreationDate " + _pdf_date(created) + b" /ModDate " + _pdf_date(created) + b" >>"
    objects[5] = info
    for i, lines in enumerate(pages):
        page_no = kids[i]
        stream = zlib.compress(_content_stream(lines), 9)
        objects[page_no] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, page_no + 1)
        )
        objects[page_no + 1] = (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream"
        )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    count = max(objects) + 1
    for number in range(1, count):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % count
    out += b"0000000000 65535 f \n"
    for number in range(1, count):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        count,
        xref_at,
    )
    return bytes(out)
