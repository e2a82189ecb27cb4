"""Cleaning the strings a page declares; telling a title from the site's name."""

from __future__ import annotations

import re

WS_RE = re.compile(r"\s+")
_TITLE_SEP_RE = re.compile(r"\s+(?:\||-|–|—|·|•|»|::|/)\s+")
_AUTHOR_PREFIX_RE = re.compile(
    r"^(?:by|door|par|von|di|de|por|autor(?:e|a|es)?|author|auteur|forfatter|av|written by)\s*:?\s+",
    re.I,
)



def clean(s) -> str | None:
    if s is None:
        return None
    if isinstance(s, list):
        s = next((x for x in s if isinstance(x, str) and x.strip()), None)
        if s is None:
            return None
    if not isinstance(s, str):
        return None
    s = WS_RE.sub(" ", s).strip()
    return s or None


def _norm(s: str) -> str:
    return re.sub(r"[\W_]+", " ", s.casefold()).strip()


def same(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return _norm(a) == _norm(b)


_BRACKETS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def is_site_name(text: str | None, names) -> bool:
    """True when ``text`` is one of ``names`` (a site's names), maybe with a bracketed note.

    "Comune di Prato (fixture)" is the site name "Comune di Prato"; "Comune di Prato: bando
    2024" is not.
    """
    if not text:
        return False
    for name in [names] if isinstance(names, str) else names or ():
        if not name:
            continue
        if same(text, name) or same(_BRACKETS_RE.sub(" ", text), name):
            return True
    return False


_WORD_RE = re.compile(r"[^\W\d_]{3,}|\d{2,}")


def share_words(a: str | None, b: str | None) -> bool:
    """True when two titles have a word (3+ letters, or a number) in common."""
    if not a or not b:
        return False
    wa = set(_WORD_RE.findall(a.casefold()))
    return bool(wa & set(_WORD_RE.findall(b.casefold())))


def strip_site_name(title: str | None, site_name=None, agree: tuple[str | None, ...] = ()) -> str | None:
    """``title`` without a site-name part ("Title | Site", "Site – Title").

    A part is kept alone when one of ``agree`` (og:title, headline, h1, a feed's title) equals
    it; otherwise a first or last part equal to (or contained in) ``site_name`` (one name or
    several) is dropped.
    """
    title = clean(title)
    if not title:
        return None
    parts = _TITLE_SEP_RE.split(title)
    if len(parts) < 2:
        return title
    for ref in agree:
        if ref and not same(ref, title):
            for part in parts:
                if same(part, ref):
                    return part
            # the reference may itself span several parts ("A - B | Site")
            for i in range(1, len(parts)):
                head = title[: _nth_sep_start(title, i)]
                if same(head, ref):
                    return head
                tail = title[_nth_sep_end(title, i):]
                if same(tail, ref):
                    return tail
    names = [site_name] if isinstance(site_name, str) else [n for n in site_name or () if n]
    for name in names:
        site = name.casefold()
        last, first = parts[-1], parts[0]
        if is_site_name(last, name) or (len(last) > 2 and last.casefold() in site):
            return title[: _nth_sep_start(title, len(parts) - 1)].strip()
        if is_site_name(first, name) or (len(first) > 2 and first.casefold() in site):
            first_sep = _TITLE_SEP_RE.search(title)
            return title[first_sep.end():].strip()
    return title


def _nth_sep_end(title: str, n: int) -> int:
    for i, m in enumerate(_TITLE_SEP_RE.finditer(title), start=1):
        if i == n:
            return m.end()
    return len(title)


def _nth_sep_start(title: str, n: int) -> int:
    for i, m in enumerate(_TITLE_SEP_RE.finditer(title), start=1):
        if i == n:
            return m.start()
    return len(title)


def clean_author(name) -> str | None:
    """A person's or organisation's name as shown, or None for URLs, e-mails and junk."""
    name = clean(name)
    if not name or "://" in name or name.startswith("www.") or "@" in name:
        return None
    name = _AUTHOR_PREFIX_RE.sub("", name).strip(" ,;")
    if len(name) < 2 or len(name) > 120 or not re.search(r"[^\W\d_]", name):
        return None
    return name


def dedupe(items) -> list[str]:
    seen, out = set(), []
    for x in items:
        if x and x.casefold() not in seen:
            seen.add(x.casefold())
            out.append(x)
    return out
