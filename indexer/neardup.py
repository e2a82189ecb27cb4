"""Near-duplicate signatures: MinHash over word shingles, LSH band keys, Jaccard estimates.

The last layer of deduplication (after the source's own URL or GUID, the canonical URL and
the exact content hash): the same article republished elsewhere with a rewritten intro, an added
"first published by …" line or other leftovers of another site's page chrome has another
content hash but nearly the same *shingles* (runs of five consecutive words).

Text → words
    The main text is NFKC-normalised and case-folded (as :func:`indexer.normalise.content_hash`
    does); words are runs of letters and digits. Punctuation and symbols separate words:
    ASCII punctuation, U+00A0–U+00BF (no-break space, « », ·, §, °…), × and ÷, U+2000–U+2BFF
    (dashes, typographic quotes and apostrophes, bullets, currency, arrows, mathematical and
    technical symbols, dingbats), CJK punctuation U+3000–U+303F and emoji (U+1F000–U+1FFFF).
    Soft hyphens are dropped ("circu\\u00adlar" is "circular"). Tokenising is vectorised over
    the UTF-8 bytes with numpy (Python's ``\\W`` regex alone costs more than the whole
    signature).

Words → signature
    Each word gets a 64-bit hash (a polynomial hash of its bytes, then the splitmix64
    finaliser); each run of :data:`SHINGLE` words a 64-bit shingle hash; the signature is the
    minimum of :data:`PERMUTATIONS` (128) hash functions ``a·x + b mod 2**64`` (odd ``a``)
    over the shingle hashes. The share of equal positions in two signatures estimates the
    Jaccard similarity of the shingle sets (standard error ``sqrt(J(1-J)/128)``: ±0.035 at
    J = 0.8). Texts of fewer than :data:`MIN_WORDS` words get no signature (a handful of
    shingles says little; short texts rely on the exact layers).

Signature → LSH band keys
    :data:`BANDS` (16) bands of :data:`ROWS` (8) values, each hashed to a signed 64-bit key.
    Two texts share at least one band key with probability ``1 - (1 - J**8)**16``: 95 % at
    J = 0.8, 99.4 % at 0.85, 99.99 % at 0.9, 61 % at 0.7, 0.1 % at 0.4 — candidates are
    found through an index, never by scanning.

When two texts are the same resource (decided here, applied in :mod:`indexer.catalogue`)
    * From **different sources**: estimated Jaccard ≥ :data:`THRESHOLD` (0.8). Shingle
      Jaccard is harsh — every changed word breaks up to five shingles — so an article
      republished with a rewritten first sentence, a "first published by" line and another
      site's footer is at 0.93 when it has 1,000 words, 0.88 at 600 words, 0.78 at 300 words
      (short pieces need a closer copy). Different texts are far below: among the 181 real
      articles of the extraction benchmark the closest pair is at 0.14 (two press releases of
      one company sharing their "About us" paragraph), and two generated articles on one
      topic with shared stock sentences at 0.05. On the same benchmark, the publishers' clean
      text and what our extractor takes from the saved page (with its leftovers of page
      chrome and its misses) are one resource for 158 of 181 articles (54 by the exact hash,
      104 by this layer), never for two different ones; 0.85 would merge 6 fewer, and put the
      600-word republication above within one standard error of the threshold. A merge loses
      nothing: the copy stays an instance of the resource, with its source and URL.
    * From **the same source** (the candidate still has a live instance of that source, at
      another URL): only when near-identical, estimated Jaccard ≥
      :data:`SAME_SOURCE_THRESHOLD` (0.95). A site that serves one page under two URLs, or a
      print view that differs by a "printed on" line (0.97), is one resource; a monthly update
      that differs from last month's by two sentences (0.88) is a new document the site chose
      to publish, and search must show both. Once the source's own instance is gone (a page
      that moved without a stable GUID and was edited on the way), the first rule applies.

Changing any parameter here changes every stored signature and band key: ship a migration
that recomputes them (migration 0002 computed the first ones).
"""

from __future__ import annotations

import unicodedata
from typing import Iterable

import numpy as np

__all__ = [
    "BANDS",
    "MIN_WORDS",
    "PERMUTATIONS",
    "ROWS",
    "SAME_SOURCE_THRESHOLD",
    "SHINGLE",
    "SIGNATURE_BYTES",
    "Signature",
    "THRESHOLD",
    "band_keys",
    "from_bytes",
    "jaccard",
    "shingle_hashes",
    "signature",
    "similarity",
    "to_bytes",
    "words",
]

SHINGLE = 5  # words per shingle
PERMUTATIONS = 128
BANDS, ROWS = 16, 8  # BANDS * ROWS == PERMUTATIONS
MIN_WORDS = 50
THRESHOLD = 0.80  # estimated Jaccard to merge copies from different sources
SAME_SOURCE_THRESHOLD = 0.95  # ... and two pages of one source
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


def _normal_bytes(text: str) -> np.ndarray:
    t = unicodedata.normalize("NFKC", text or "")
    if t.isascii():
        t = t.lower()  # the same as casefold() on ASCII, and 15× faster
    else:
        t = t.replace("\u00ad", "").casefold()
    return np.frombuffer(t.encode("utf-8", "replace"), dtype=np.uint8)


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


def signature(text: str) -> Signature | None:
    """The MinHash signature (``PERMUTATIONS`` uint64) of the text, or None when it has fewer
    than :data:`MIN_WORDS` words."""
    x = shingle_hashes(text)
    if x is None:
        return None
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
