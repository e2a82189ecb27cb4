"""Near-duplicate sketches: MinHash over word shingles with the shingle count, LSH band keys,
resemblance and containment estimates.

The last layer of deduplication (after the source's own URL or GUID, the canonical URL and
the exact content hash): the same article republished elsewhere with another intro, a cookie
or paywall line, cut short by a paywall, or with leftovers of another site's page chrome has
another content hash but nearly the same *shingles* (runs of three consecutive words), or
its shingles are *contained* in the original's.

Lines of chrome
    Short lines (≤ 30 words) naming cookies, consent, newsletters, subscriptions, sharing,
    "first published by", advertising or rights reserved (in the portal's languages) are
    left out before hashing (:func:`strip_boilerplate`).

Text → words
    The main text is NFKD-normalised and case-folded, and loses its diacritics (combining
    marks, and ``ł đ ø ħ ı ŀ ŧ`` become their base letters): a PDF set in a font without "ė" or
    "ą" prints "e" and "a", and its copy on a web page must shingle alike (on the collection's
    tune part, a Lithuanian and a Polish report and their document-sharing copies were at
    containment 0.40–0.46 with diacritics, 0.96 without); words are runs of letters and digits. Punctuation and symbols separate words:
    ASCII punctuation, U+00A0–U+00BF (no-break space, « », ·, §, °…), × and ÷, U+2000–U+2BFF
    (dashes, typographic quotes and apostrophes, bullets, currency, arrows, mathematical and
    technical symbols, dingbats), CJK punctuation U+3000–U+303F and emoji (U+1F000–U+1FFFF).
    Soft hyphens are dropped ("circu\\u00adlar" is "circular"). Tokenising is vectorised over
    the UTF-8 bytes with numpy (Python's ``\\W`` regex alone costs more than the whole
    signature).

Words → sketch
    Each word gets a 64-bit hash (a polynomial hash of its bytes, then the splitmix64
    finaliser); each run of :data:`SHINGLE` (3) words a 64-bit shingle hash; the signature is
    the minimum of :data:`PERMUTATIONS` (128) hash functions ``a·x + b mod 2**64`` (odd ``a``)
    over the shingle hashes, and the sketch keeps the number of distinct shingles beside it.
    The share of equal positions in two signatures estimates the resemblance J (the Jaccard
    similarity of the shingle sets; standard error ``sqrt(J(1-J)/128)``: ±0.035 at J = 0.8);
    with the two set sizes it gives the intersection ``J·(|A|+|B|)/(1+J)`` and so the
    *containment* of the shorter text in the longer one. Texts of fewer than
    :data:`MIN_WORDS` words get no sketch (short texts rely on the exact layers).

    Why three words: on the project's relevance collection (tune part: 66 labelled copies —
    other intro, banner, paywall cut, www twin, old path, document-sharing site — and every
    other pair of its pages), five-word shingles put a 100-word copy with another intro at
    resemblance 0.66 and three-word ones at 0.78, while different documents stay below 0.03
    (hard negatives of one site: 0.67); two-word shingles and five-character n-grams raise
    unrelated pages to 0.05 and 0.19 (containment 0.29 and 0.61) for no gain on the copies.

Signature → LSH band keys
    :data:`BANDS` (64) bands of :data:`ROWS` (2) values, each hashed to a signed 64-bit key.
    Two texts share at least one band key with probability ``1 - (1 - J**2)**64``: 99.2 % at
    J = 0.27 (a copy holding a third of the original's text), 2.5 % at J = 0.02 (unrelated
    pages; the candidates sharing the most bands are compared first, and only a bounded
    number of them).

When two texts are the same resource (:func:`same_resource`, applied in :mod:`indexer.catalogue`)
    * From **different sources**: estimated resemblance ≥ :data:`THRESHOLD` (0.8), or the
      shorter text contained in the longer one (≥ :data:`CONTAINMENT`, 0.9, of its
      shingles) while it is at least :data:`MIN_CONTAINED_SHARE` (0.3) of the longer one's
      size: a paywall cut or a copy with an added intro is; a news item whose first
      paragraph a long listing page shows as a teaser is not (it is a small part of it). On
      the collection's tune part, copies are at containment 0.96–0.98 (estimated), and
      listing pages that contain a document's teaser are at a share under 0.25 except tag
      pages of a single item (fewer than 50 words: no sketch).
    * The figures that decide are exact: a candidate whose estimate is within reach of a
      merge (:func:`in_reach`) is compared with the stored text itself (:func:`measure`).
      MinHash estimates of containment are coarse on long texts (a 600-word copy of a
      1,300-word report: estimated 0.77–0.89, exact 0.97). The exact containment leaves out
      the shorter text's *foreign* lines — lines none of whose shingles the longer text has
      (another intro, a "log in to read on" or "preview ends here" notice) — and its missing
      shingles across a line break (where the other text put a line of its own), as long as
      they are at most :data:`FOREIGN_SHARE` (a fifth) of its shingles; a text rewritten
      here and there has no such lines and keeps its lower containment.
    * From **the same source** (the candidate still has a live instance of that source, at
      another URL): only with the same title and a near-identical text: resemblance ≥
      :data:`SAME_SOURCE_THRESHOLD` (0.95), or the one text wholly contained in the other
      (≥ :data:`SAME_SOURCE_CONTAINMENT`, 0.97, exact) which is at most a fifth longer
      (share ≥ :data:`SAME_SOURCE_SHARE`, 0.8): the same news item served at a second URL
      with a "press release" line on top (resemblance 0.90–0.93 on the collection) is one
      resource; an update that rewrote a paragraph (containment ~0.9) is not. A site that
      serves one page under two URLs (an old and a new path), or a print view, is one
      resource; two pages of one listing template, two sessions of one event series, the
      same call text for another year, or a monthly update that differs from last month's by
      two sentences (0.89) are pages the site chose to publish, and search must show both.
      Its same-site hard negatives are at resemblance 0.67 (containment 0.81), and
      same-title event and update pages of real sites sit between them and the copies, so
      the resemblance threshold stays and containment counts only when near whole; the title rule was added because two tag pages listing
      the same items have the same text. Once the source's own instance is gone (a page that
      moved without a stable GUID and was edited on the way), the first rule applies.

Changing any parameter here changes every stored signature and band key: ship a migration
that recomputes them (migration 0002 computed the first ones, 0004 the three-word ones, 0005
those over words without diacritics). The rules in :func:`same_resource`, :func:`in_reach`
and :func:`measure` change no stored value.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, NamedTuple

import numpy as np

__all__ = [
    "BANDS",
    "MIN_WORDS",
    "PERMUTATIONS",
    "ROWS",
    "SAME_SOURCE_THRESHOLD",
    "SHINGLE",
    "CONTAINMENT",
    "MIN_CONTAINED_SHARE",
    "Match",
    "SIGNATURE_BYTES",
    "Signature",
    "Sketch",
    "compare",
    "same_resource",
    "in_reach",
    "measure",
    "sketch",
    "THRESHOLD",
    "band_keys",
    "from_bytes",
    "jaccard",
    "shingle_hashes",
    "signature",
    "similarity",
    "strip_boilerplate",
    "to_bytes",
    "words",
]

SHINGLE = 3  # words per shingle
PERMUTATIONS = 128
BANDS, ROWS = 64, 2  # BANDS * ROWS == PERMUTATIONS
MIN_WORDS = 50
THRESHOLD = 0.80  # estimated Jaccard to merge copies from different sources
SAME_SOURCE_THRESHOLD = 0.95  # ... and two pages of one source (with the same title)
CONTAINMENT = 0.90  # estimated share of the shorter text's shingles found in the longer one
MIN_CONTAINED_SHARE = 0.30  # ... when the shorter text is at least this share of the longer
SAME_SOURCE_CONTAINMENT = 0.97  # one source, same title: the shorter text all but whole in ...
SAME_SOURCE_SHARE = 0.80  # ... a longer one that adds at most a fifth (an intro line, a banner)
FOREIGN_SHARE = 0.20  # lines of a text that share nothing with the other: at most this share
SIGNATURE_BYTES = PERMUTATIONS * 8

Signature = np.ndarray  # PERMUTATIONS unsigned 64-bit minima

_U64 = np.uint64
_MASK = (1 << 64) - 1
_SEGMENT = 1 << 18  # bytes hashed at a time (bounds memory on book-length PDFs)


def _splitmix64(seed: int) -> Iterable[int]:
    """A fixed stream of 64-bit constants (not numpy's RNG: its streams may change)."""
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        yield z ^ (z >> 31)


def _constants(seed: int, n: int, odd: bool = False) -> np.ndarray:
    gen = _splitmix64(seed)
    return np.array([next(gen) | (1 if odd else 0) for _ in range(n)], dtype=_U64)


_PERM_A = _constants(0x6363702D6D696E31, PERMUTATIONS, odd=True)  # "ccp-min1"
_PERM_B = _constants(0x6363702D6D696E32, PERMUTATIONS)
_SHINGLE_MULT = _constants(0x6363702D73686E67, SHINGLE, odd=True)
_BAND_MULT = _constants(0x6363702D62616E64, ROWS, odd=True)
_BASE = 0x100000001B3  # odd: invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)


def _powers(base: int, n: int) -> np.ndarray:
    a = np.full(n, base, dtype=_U64)
    a[0] = 1
    return np.cumprod(a, dtype=_U64)  # wraps modulo 2**64


_POW = _powers(_BASE, _SEGMENT + 1)
_POW_INV = _powers(_BASE_INV, _SEGMENT + 1)

# Bytes that are part of words: ASCII letters and digits, and every byte of a non-ASCII
# character (the punctuation and symbol ranges are cleared in _word_mask).
_WORD_BYTE = np.zeros(256, dtype=bool)
for _lo, _hi in ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x80, 0xFF)):
    _WORD_BYTE[_lo:_hi + 1] = True
# UTF-8 punctuation and symbols: (lead byte, second byte) -> length of the sequence
_PUNCT = np.zeros((256, 256), dtype=np.uint8)
_PUNCT[0xC2, 0xA0:0xC0] = 2  # U+00A0–U+00BF
_PUNCT[0xC3, 0x97] = _PUNCT[0xC3, 0xB7] = 2  # × ÷
_PUNCT[0xE2, 0x80:0xB0] = 3  # U+2000–U+2BFF
_PUNCT[0xE3, 0x80] = 3  # U+3000–U+303F
_PUNCT[0xF0, 0x9F] = 4  # U+1F000–U+1FFFF


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise (a bijection with full avalanche)."""
    x = x ^ (x >> _U64(30))
    x *= _U64(0xBF58476D1CE4E5B9)
    x ^= x >> _U64(27)
    x *= _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    return x


# Letters with no canonical decomposition that texts without diacritics write as a base letter
_FOLD = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t"})
_FOLD_CHARS = re.compile("[łđøħıŀŧ]")


def _normal_bytes(text: str) -> np.ndarray:
    """Compatibility-decomposed (NFKD), case-folded UTF-8 bytes without diacritics: a PDF set
    in a font without "ė" or "ą" (it prints "e", "a") and its copy on a web page that has them
    shingle alike, as search engines' ASCII folding would have it."""
    t = text or ""
    if t.isascii():
        return np.frombuffer(t.lower().encode("ascii"), dtype=np.uint8)  # 15× faster
    t = unicodedata.normalize("NFKD", t).replace("\u00ad", "").casefold()
    if _FOLD_CHARS.search(t):
        t = t.translate(_FOLD)
    b = np.frombuffer(t.encode("utf-8", "replace"), dtype=np.uint8)
    # combining marks U+0300–U+036F are the UTF-8 pairs CC 80–BF and CD 80–AF
    lead = np.flatnonzero((b[:-1] == 0xCC) | ((b[:-1] == 0xCD) & (b[1:] < 0xB0)))
    if lead.size:
        keep = np.ones(len(b), dtype=bool)
        keep[lead] = keep[lead + 1] = False
        b = b[keep]
    return b


def _word_mask(b: np.ndarray) -> np.ndarray:
    mask = _WORD_BYTE[b]
    lead = np.flatnonzero(b[:-1] >= 0xC2)  # first bytes of multi-byte characters
    if lead.size:
        length = _PUNCT[b[lead], b[lead + 1]]
        hit = np.flatnonzero(length)
        if hit.size:
            lead, length = lead[hit], length[hit]
            for k in range(4):
                mask[lead[length > k] + k] = False
    return mask


def _word_spans(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of True in ``mask``."""
    change = np.empty(len(mask) + 1, dtype=bool)
    if len(mask):
        change[0], change[-1] = mask[0], mask[-1]
        np.not_equal(mask[1:], mask[:-1], out=change[1:-1])
    else:
        change[0] = False
    edges = np.flatnonzero(change)
    return edges[0::2], edges[1::2]


def _word_hashes(b: np.ndarray) -> np.ndarray:
    """One 64-bit hash per word of the normalised UTF-8 bytes ``b``, in text order."""
    mask = _word_mask(b)
    out: list[np.ndarray] = []
    start, n = 0, len(b)
    while start < n:
        end = min(start + _SEGMENT, n)
        if end < n:  # cut after the segment's last separator, so no word is split
            seps = np.flatnonzero(~mask[start:end])
            if seps.size:
                end = start + int(seps[-1]) + 1
        seg = b[start:end]
        starts, ends = _word_spans(mask[start:end])
        if starts.size:
            prefix = np.zeros(len(seg) + 1, dtype=_U64)
            np.cumsum(seg.astype(_U64) * _POW[:len(seg)], out=prefix[1:])
            # sum of byte * BASE**(position in word): independent of where the word stands
            out.append(_mix((prefix[ends] - prefix[starts]) * _POW_INV[starts]))
        start = end
    return np.concatenate(out) if out else np.empty(0, dtype=_U64)


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (what the shingles are made of)."""
    b = _normal_bytes(text)
    starts, ends = _word_spans(_word_mask(b))
    raw = b.tobytes()
    return [raw[s:e].decode("utf-8", "replace") for s, e in zip(starts.tolist(), ends.tolist())]


def shingle_hashes(text: str, *, min_words: int = MIN_WORDS) -> np.ndarray | None:
    """64-bit hashes of the text's :data:`SHINGLE`-word shingles (with repeats), or None when
    the text has fewer than ``min_words`` words."""
    w = _word_hashes(_normal_bytes(text))
    if len(w) < max(min_words, SHINGLE):
        return None
    m = len(w) - SHINGLE + 1
    acc = w[:m] * _SHINGLE_MULT[0]
    for j in range(1, SHINGLE):
        acc += w[j:j + m] * _SHINGLE_MULT[j]
    return _mix(acc)


class Sketch(NamedTuple):
    """What is stored of a text: its MinHash signature and the size of its shingle set."""

    sig: Signature
    size: int  # distinct shingles


class Match(NamedTuple):
    """How much two texts share: estimated resemblance (Jaccard of the shingle sets) and
    containment (the share of the shorter text's shingles that the longer one has)."""

    resemblance: float
    containment: float
    share: float  # the shorter text's size over the longer one's


# Lines of page chrome that end up in a main text (a cookie or consent notice, a newsletter or
# subscription box, a paywall, share buttons, "first published by"): short lines with one of
# these words are left out before hashing, in the languages the portal serves.
_CHROME_WORDS = re.compile(
    r"cookie|newsletter|subscri|abonn|paywall|consent|zustimm|einwillig|"
    r"toestemming|suostum|souhlas|zgod[ay]|sutikim|consentim|consenso|"
    r"share this|partager|compartir|condividi|teilen|delen|jaa |sdílet|udostępnij|"
    r"first published|publié initialement|publicado originalmente|pubblicato originariamente|"
    r"zuerst erschienen|eerder verschenen|julkaistu alun perin|advertis|sponsored|"
    r"all rights reserved|tous droits réservés|todos los derechos|alle rechte",
    re.IGNORECASE)
CHROME_LINE_WORDS = 30  # longer lines are text, whatever words they use


def strip_boilerplate(text: str) -> str:
    """The text without the lines of page chrome (see :data:`_CHROME_WORDS`)."""
    lines = (text or "").splitlines()
    kept = [ln for ln in lines  # the cheap test first: most lines of a text are long
            if ln.count(" ") >= CHROME_LINE_WORDS or not _CHROME_WORDS.search(ln)]
    return text if len(kept) == len(lines) else "\n".join(kept)


def sketch(text: str) -> Sketch | None:
    """The signature and shingle count of the text without its chrome lines
    (:func:`strip_boilerplate`), or None when it has fewer than :data:`MIN_WORDS` words."""
    x = shingle_hashes(strip_boilerplate(text))
    if x is None:
        return None
    return Sketch(_minhash(x), int(np.unique(x).size))


def signature(text: str) -> Signature | None:
    """The MinHash signature (``PERMUTATIONS`` uint64) of the text, or None when it has fewer
    than :data:`MIN_WORDS` words."""
    x = shingle_hashes(strip_boilerplate(text))
    return None if x is None else _minhash(x)


def compare(a: Sketch, b: Sketch) -> Match:
    """Resemblance and containment of two texts, estimated from their sketches: the
    signatures estimate J = |A∩B| / |A∪B|, so |A∩B| = J·(|A| + |B|) / (1 + J)."""
    j = similarity(a.sig, b.sig)
    small, large = sorted((max(a.size, 1), max(b.size, 1)))
    inter = j * (a.size + b.size) / (1 + j)
    return Match(j, min(1.0, inter / small), small / large)


def same_resource(m: Match, *, same_source: bool) -> bool:
    """Whether two texts that share this much are one resource (see the module docstring)."""
    if same_source:
        return m.resemblance >= SAME_SOURCE_THRESHOLD or (
            m.containment >= SAME_SOURCE_CONTAINMENT and m.share >= SAME_SOURCE_SHARE)
    if m.resemblance >= THRESHOLD:
        return True
    return m.containment >= CONTAINMENT and m.share >= MIN_CONTAINED_SHARE


def in_reach(m: Match) -> bool:
    """Whether an estimated match is close enough to a merge that the texts themselves are
    compared (:func:`measure`): MinHash estimates of containment are coarse on long texts
    (±0.1 at resemblance 0.3), the exact figures decide."""
    return m.share >= MIN_CONTAINED_SHARE - 0.1 and (
        m.resemblance >= THRESHOLD - 0.2 or m.containment >= CONTAINMENT - 0.25)


def _shingle_set(text: str) -> np.ndarray:
    x = shingle_hashes(text, min_words=0)
    return np.empty(0, dtype=_U64) if x is None else np.unique(x)


def _foreign(text: str, other: np.ndarray, total: int) -> int:
    """The distinct shingles of ``text`` that touch its *foreign* lines — lines no shingle of
    which the ``other`` set has (an intro, a "log in to read on" banner, a print note) — and
    those across a line break that ``other`` lacks (it has a line of its own there), counted only when they are at most :data:`FOREIGN_SHARE` of the ``total`` (else 0: the
    texts differ, not by a line or two)."""
    b = _normal_bytes(text)
    w = _word_hashes(b)
    if len(w) < SHINGLE:
        return 0
    starts, _ends = _word_spans(_word_mask(b))
    line = np.searchsorted(np.flatnonzero(b == 0x0A), starts)  # line of each word
    m = len(w) - SHINGLE + 1
    acc = w[:m] * _SHINGLE_MULT[0]
    for j in range(1, SHINGLE):
        acc += w[j:j + m] * _SHINGLE_MULT[j]
    x = _mix(acc)
    first, last = line[:m], line[SHINGLE - 1:]
    inside = np.isin(x, other)
    cover = np.zeros(int(line[-1]) + 2, dtype=np.int64)  # contained shingles over each line
    np.add.at(cover, first[inside], 1)
    np.add.at(cover, last[inside] + 1, -1)
    foreign = np.zeros_like(cover)
    foreign[np.unique(line)] = np.cumsum(cover)[np.unique(line)] == 0
    seen = np.concatenate([[0], np.cumsum(foreign)])
    # ... and the missing shingles across a line break (the other text has a line between)
    touched = (seen[last + 1] - seen[first] > 0) | (~inside & (first != last))
    n = int(np.unique(x[touched]).size)
    return n if n <= FOREIGN_SHARE * total else 0


def measure(a: str, b: str) -> Match | None:
    """The exact resemblance and containment of two texts (chrome lines left out), or None
    when either has no shingle. Containment is that of the shorter text in the longer one,
    not counting the shorter text's *foreign* lines (:func:`_foreign`): a copy with a line of
    its own — another intro, a paywall or log-in notice — is still wholly contained."""
    ta, tb = strip_boilerplate(a), strip_boilerplate(b)
    sa, sb = _shingle_set(ta), _shingle_set(tb)
    if not (sa.size and sb.size):
        return None
    inter = int(np.intersect1d(sa, sb, assume_unique=True).size)
    (short_t, short), (_lt, long) = sorted(((ta, sa), (tb, sb)), key=lambda p: p[1].size)
    kept = short.size - _foreign(short_t, long, short.size)
    return Match(inter / (sa.size + sb.size - inter), min(1.0, inter / max(kept, 1)),
                 short.size / long.size)


def _minhash(x: np.ndarray) -> Signature:
    sig = np.full(PERMUTATIONS, _MASK, dtype=_U64)
    chunk = 2048  # rows of the (shingles × permutations) matrix at a time
    for i in range(0, len(x), chunk):
        y = x[i:i + chunk, None] * _PERM_A
        y += _PERM_B
        np.minimum(sig, y.min(axis=0), out=sig)
    return sig


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two texts whose signatures these are."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def band_keys(sig: Signature) -> list[tuple[int, int]]:
    """``[(band, key)]``: the LSH key of each band, a signed 64-bit integer (fits BIGINT)."""
    rows = sig.reshape(BANDS, ROWS) * _BAND_MULT
    keys = _mix(rows.sum(axis=1, dtype=_U64))
    return list(enumerate(keys.view(np.int64).tolist()))


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u8", copy=False).tobytes()


def from_bytes(data: bytes) -> Signature:
    if len(data) != SIGNATURE_BYTES:
        raise ValueError(f"a signature has {SIGNATURE_BYTES} bytes, not {len(data)}")
    return np.frombuffer(data, dtype="<u8").astype(_U64)


def jaccard(a: str, b: str) -> float:
    """The exact Jaccard similarity of two texts' shingle sets (whatever their length);
    what :func:`similarity` estimates. For tests and measurements."""
    sa, sb = shingle_hashes(a, min_words=0), shingle_hashes(b, min_words=0)
    if sa is None or sb is None:
        return 1.0 if (sa is None and sb is None and words(a) == words(b)) else 0.0
    sa, sb = np.unique(sa), np.unique(sb)
    inter = np.intersect1d(sa, sb, assume_unique=True).size
    return inter / (sa.size + sb.size - inter)
