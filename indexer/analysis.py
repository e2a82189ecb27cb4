"""Text analysis shared by the search backends: the user's query syntax and per-language stemming.

Its parts:

* :func:`parse_user_query` turns what a person types into a search box into a small,
  backend-neutral structure (:class:`UserQuery`): AND-ed groups of OR-ed clauses, plus
  excluded clauses. It understands ``"quoted phrases"``, ``-word`` / ``-"phrase"`` and
  ``NOT word`` exclusions, ``OR`` between clauses, and ignores ``AND``, ``+`` and parentheses
  (there is no grouping). It never raises: unbalanced quotes, lone operators and symbols are
  dropped or read as plain words. Every backend compiles the same structure, so a query means
  the same thing whichever engine answers it.
* :data:`STEMMERS` and :func:`build_analyzer` describe the analysis chains of the embedded
  engine: a word tokenizer (runs of letters and digits, like :func:`words`), lower-casing,
  ASCII folding and, for languages with a Snowball stemmer in tantivy, stop-word removal and
  stemming.
* Analysis done in Python, the same for both engines (see :mod:`indexer.stemming` and
  :mod:`indexer.compounds`): :func:`analysed_fields` gives a document's pre-analysed fields
  (``stems_<code>`` for the languages neither engine stems, ``parts_<code>`` for the parts of
  German, Dutch, Swedish and Finnish compounds); :func:`query_terms` gives, for one query word,
  the exact tokens to search in every field; :func:`stopwords` a language's stop words.

Snippets (the query's words found the way the index matched them) are in
:mod:`indexer.highlight`.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# ISO 639-1 code -> name of tantivy's Snowball stemmer. The EU/EEA languages tantivy has a
# stemmer for (checked against tantivy 0.27: Polish, Czech, Lithuanian, Slovenian... have none).
STEMMERS: dict[str, str] = {
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}
# Languages whose stemmer is applied twice. The Dutch and Spanish stemmers strip one suffix per
# pass, so "fietsen" -> "fiets" but "fiets" -> "fiet", "ciudades" -> "ciudad" but "ciudad" ->
# "ciud"; a second pass makes singular and plural meet (fiets/fietsen, kans/kansen,
# proces/processen, ciudad/ciudades).
STEM_PASSES: dict[str, int] = {"nl": 2, "es": 2}
# Languages stemmed before folding: their stemmers need the diacritics to find the suffix
# (Portuguese -ção/-ções, Romanian -ște). The others fold first, so that a query typed without
# accents is stemmed like the accented word ("economia" / "economía" in Spanish).
STEM_BEFORE_FOLD = frozenset({"pt", "ro"})
# Stemmed fields drop the language's stop words (tantivy has lists for these). Without that, a
# query is stemmed by every language's stemmer and collides with frequent function words of
# other languages: Portuguese stems "Paris" and "para" alike. The unstemmed field keeps them.
STOPWORD_LANGUAGES = frozenset(STEMMERS) - {"el", "ro"}
# Codes that share a stemmer with another code.
LANGUAGE_ALIASES: dict[str, str] = {"nb": "no", "nn": "no"}

# Tokens this long (UTF-8 bytes) or longer are dropped by the analyzers; the query parser drops
# such words too, so they never turn into a clause that can match nothing.
MAX_TOKEN_BYTES = 64

FOLD_ANALYZER = "ccp_fold"
PRE_ANALYZER = "ccp_pre"  # pre-analysed fields: tokens separated by spaces, indexed as they are

_WORD = re.compile(r"[^\W_]+")


def stem_language(language: str | None) -> str | None:
    """The :data:`STEMMERS` key for a document language, or None when it has no stemmer."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    code = LANGUAGE_ALIASES.get(code, code)
    return code if code in STEMMERS else None


def analyzer_name(stem_lang: str | None) -> str:
    """Name of the registered analyzer for a :data:`STEMMERS` key (None: no stemming)."""
    return f"ccp_stem_{stem_lang}" if stem_lang else FOLD_ANALYZER


def build_analyzer(stem_lang: str | None) -> Any:
    """A tantivy ``TextAnalyzer``: words, drop over-long tokens, lower-case, then for a language
    with a stemmer drop its stop words, and ASCII-fold and stem (see :data:`STEM_BEFORE_FOLD`)."""
    import tantivy

    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES))
        .filter(tantivy.Filter.lowercase())
    )
    if stem_lang in STOPWORD_LANGUAGES:
        builder = builder.filter(tantivy.Filter.stopword(STEMMERS[stem_lang]))
    if stem_lang not in STEM_BEFORE_FOLD:
        builder = builder.filter(tantivy.Filter.ascii_fold())
    if stem_lang:
        for _ in range(STEM_PASSES.get(stem_lang, 1)):
            builder = builder.filter(tantivy.Filter.stemmer(STEMMERS[stem_lang]))
    if stem_lang in STEM_BEFORE_FOLD:
        builder = builder.filter(tantivy.Filter.ascii_fold())
    return builder.build()


def register_analyzers(index: Any) -> None:
    """Register every analyzer the embedded schema names on a tantivy ``Index``."""
    import tantivy

    index.register_tokenizer(FOLD_ANALYZER, build_analyzer(None))
    index.register_tokenizer(
        PRE_ANALYZER,
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES)).build(),
    )
    for lang in STEMMERS:
        index.register_tokenizer(analyzer_name(lang), build_analyzer(lang))


def words(text: str) -> list[str]:
    """The words of ``text`` as the analyzers see them: runs of letters and digits."""
    # UTF-8 takes at most 4 bytes a character: only long words need encoding to be measured
    return [w for w in _WORD.findall(text)
            if len(w) < MAX_TOKEN_BYTES // 4 or len(w.encode("utf-8")) < MAX_TOKEN_BYTES]


# -- the user's query syntax -----------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One searchable unit: a word, or a phrase (several words that must appear in order)."""

    words: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class UserQuery:
    """A parsed search-box query: every group must match (one of its clauses), no exclusion may."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing searchable was typed (only symbols, operators, or nothing at all)."""
        return not self.groups and not self.excluded

    @property
    def positive_words(self) -> list[str]:
        """The distinct words a matching document may contain (for highlighting), in order."""
        seen: dict[str, None] = {}
        for group in self.groups:
            for clause in group:
                for w in clause.words:
                    seen.setdefault(w.lower(), None)
        return list(seen)


_OPERATORS_OR = {"OR", "||", "|"}
_OPERATORS_AND = {"AND", "&&", "&"}
_OPERATORS_NOT = {"NOT"}
_SEPARATORS = "()[]{}"


def parse_user_query(text: str) -> UserQuery:
    """Parse search-box syntax leniently (see the module docstring). Never raises."""
    text = unicodedata.normalize("NFC", text or "")
    if text.count('"') % 2:  # an unclosed quote: its words are read as plain words
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1 :]

    query = UserQuery()
    join_with_previous = False  # an OR was seen since the last positive clause
    negate_next = False  # a NOT was seen
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace() or c in _SEPARATORS:
            i += 1
            continue
        negated = negate_next
        negate_next = False
        if c == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
            c = text[i]
        elif c == "+":
            i += 1
            continue
        if c == '"':
            end = text.index('"', i + 1)  # quotes are balanced here
            raw, i, operator = text[i + 1 : end], end + 1, None
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in _SEPARATORS + '"':
                end += 1
            raw, i = text[i:end], end
            operator = raw if not negated else None
        if operator in _OPERATORS_OR:
            join_with_previous = bool(query.groups)
            continue
        if operator in _OPERATORS_AND:
            continue
        if operator in _OPERATORS_NOT:
            negate_next = True
            continue
        clause_words = tuple(words(raw))
        if not clause_words:
            continue
        clause = Clause(clause_words)
        if negated:
            query.excluded.append(clause)
            join_with_previous = False
        elif join_with_previous:
            query.groups[-1].append(clause)
            join_with_previous = False
        else:
            query.groups.append([clause])
    return query


# -- analyzers cached per thread -----------------------------------------------------------

_analyzers = threading.local()


def cached_analyzer(stem_lang: str | None) -> Any:
    """The analyzer of :func:`build_analyzer`, built once per thread."""
    cache = getattr(_analyzers, "cache", None)
    if cache is None:
        cache = _analyzers.cache = {}
    analyzer = cache.get(stem_lang)
    if analyzer is None:
        analyzer = cache[stem_lang] = build_analyzer(stem_lang)
    return analyzer


# -- analysis done in Python (both engines): stems, compound parts, stop words -----------------

def stems_field(lang: str) -> str:
    """The pre-analysed field holding a :data:`stemming.PYTHON_LANGUAGES` document's stems."""
    return f"stems_{lang}"


def parts_field(lang: str) -> str:
    """The pre-analysed field holding the compound parts of a de/nl/sv/fi document."""
    return f"parts_{lang}"


# The title as the language analysis reads it: each word's stem (and a compound's stemmed
# parts) prefixed with the document's language ("fi:tiekart"), so that an inflected or compound
# title word ("kuntakyselyn", "Kiertotaloustiekartta") gets the title's weight for "kysely" or
# "tiekartta" as the folded title field gives it only to the exact word. The prefix keeps each
# language's stems apart (a Portuguese stem never matches a Spanish title).
TITLE_STEMS = "title_stems"
TITLE_STEMS_BOOST = 2.0
_NO_LANGUAGE = "xx"  # the prefix of a title in a language without analysis: folded words


def pre_analysed_fields() -> list[str]:
    """Every pre-analysed field, the same names in both engines."""
    from .compounds import LANGUAGES
    from .stemming import PYTHON_LANGUAGES

    return [stems_field(c) for c in sorted(PYTHON_LANGUAGES)] + [
        parts_field(c) for c in LANGUAGES] + [TITLE_STEMS]


def title_stems(title: str, language: str | None) -> str:
    """The ``title_stems`` tokens of a title in ``language`` (see :data:`TITLE_STEMS`)."""
    from .compounds import LANGUAGES
    from .stemming import stem

    plang, slang = python_language(language), stem_language(language)
    code = plang or slang or _NO_LANGUAGE
    tokens: list[str] = []
    for w in words(title):
        if plang:
            forms = [stem(w, plang)]
        elif slang:
            forms = list(cached_analyzer(slang).analyze(w))
            if slang in LANGUAGES and len(w) >= 8:
                forms += _part_tokens(w, slang)
        else:
            forms = list(cached_analyzer(None).analyze(w))
        tokens += [f"{code}:{f}" for f in dict.fromkeys(forms) if f]
    return " ".join(tokens)


def title_part_sets(word: str) -> list[list[str]]:
    """For a compound query word, per language that splits it: the ``title_stems`` terms of its
    components (:func:`compounds.components`), which a title must hold ALL of to match it the
    way it holds the whole word ("Strategi för cirkulär ekonomi" for
    "cirkulärekonomistrategi"); a title holding one part ("Bau…") does not."""
    from .compounds import LANGUAGES, components

    out: list[list[str]] = []
    for lang in LANGUAGES:
        parts = components(word, lang)
        if len(parts) < 2:
            continue
        analyzer = cached_analyzer(lang)
        terms = [f"{lang}:{t}" for p in parts for t in analyzer.analyze(p)[:1]]
        if len(terms) == len(parts):
            out.append(terms)
    return out


def python_language(language: str | None) -> str | None:
    """The code of a document language analysed in Python (see :mod:`indexer.stemming`)."""
    from .stemming import PYTHON_LANGUAGES

    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code in PYTHON_LANGUAGES else None


def stopwords(lang: str | None) -> frozenset[str]:
    """The stop words of a language (lower-case, with their diacritics); empty when unknown.
    A query may drop them (the unstemmed fields still index them, so quoted phrases keep them).
    """
    from .stopwords import STOPWORDS

    if not lang:
        return frozenset()
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return STOPWORDS.get(LANGUAGE_ALIASES.get(code, code), frozenset())


def all_stopwords() -> frozenset[str]:
    """Words that are a stop word in some language (folded forms included)."""
    from .stopwords import STOPWORDS
    from .stemming import fold

    out: set[str] = set()
    for words_ in STOPWORDS.values():
        out |= words_
        out |= {fold(w) for w in words_}
    return frozenset(out)


@functools.lru_cache(maxsize=200_000)
def _cached_part_tokens(word: str, lang: str) -> tuple[str, ...]:
    from .compounds import split

    analyzer = cached_analyzer(lang)
    out: list[str] = []
    for part in split(word, lang):
        out += analyzer.analyze(part)
    return tuple(out)


def _part_tokens(word: str, lang: str) -> list[str]:
    """The compound parts of ``word``, analysed like the language's stemmed field (memoised:
    an index build meets the same long words again and again)."""
    return list(_cached_part_tokens(word, lang))


def analysed_fields(texts: list[str], language: str | None, title: str | None = None
                    ) -> dict[str, str]:
    """The pre-analysed fields of a document: {field: tokens joined by spaces}.

    A document in a Python-analysed language gets ``stems_<code>`` (every word stemmed, in
    order); a German, Dutch, Swedish or Finnish one gets ``parts_<code>``: the parts of its
    compounds, each stemmed like ``text_<code>`` (whole words stay in ``text_<code>``). With
    ``title``, :data:`TITLE_STEMS` too.
    """
    from .compounds import LANGUAGES
    from .stemming import stem

    out: dict[str, str] = {}
    if title and (analysed_title := title_stems(title, language)):
        out[TITLE_STEMS] = analysed_title
    plang = python_language(language)
    slang = stem_language(language)
    if plang:
        stems = [stem(w, plang) for t in texts for w in words(t)]
        out[stems_field(plang)] = " ".join(s for s in stems if s)
    elif slang in LANGUAGES:
        parts: list[str] = []
        for t in texts:
            for w in words(t):
                if len(w) >= 8:
                    parts += _part_tokens(w, slang)
        if parts:
            out[parts_field(slang)] = " ".join(parts)
    return out


def query_terms(word: str) -> dict[str, list[str]]:
    """How one query word is searched: {field: the exact indexed tokens to look for}.

    The embedded engine can search every field with these terms. Elasticsearch analyses its own
    ``title``/``text.*`` fields, so only the pre-analysed fields (:func:`pre_analysed_fields`)
    need these terms there. Fields:

    * ``text`` and ``title``: the folded word;
    * ``text_<code>`` (tantivy's stemmed fields): the word stemmed, and for de/nl/sv/fi also
      its compound parts, so "afvalscheiding" finds a page about "afval";
    * ``stems_<code>``: the word stemmed by :func:`stemming.stem` in each Python language;
    * ``parts_<code>``: the word and its parts stemmed, so "Kreislaufwirtschaft" finds
      "Kreislaufwirtschaftsstrategie" (whose parts include it).

    A field whose analysis drops the word (a stop word) is left out.
    """
    from .compounds import LANGUAGES
    from .stemming import PYTHON_LANGUAGES, stem

    out: dict[str, list[str]] = {}
    folded = cached_analyzer(None).analyze(word)
    if not folded:
        return out
    out["text"] = list(folded)
    out["title"] = list(folded)
    # title_stems: the word's own stem in each language, never its compound parts (a title
    # holding "Bau…" is not about "Baugenehmigung"; one holding "Baugenehmigungsverfahren" is,
    # through the title's parts)
    title = [f"{_NO_LANGUAGE}:{t}" for t in folded]
    for lang in sorted(STEMMERS):
        tokens = list(cached_analyzer(lang).analyze(word))
        title += [f"{lang}:{t}" for t in tokens]
        if lang in LANGUAGES and tokens:
            parts = _part_tokens(word, lang)
            out[parts_field(lang)] = list(dict.fromkeys(tokens + parts))
            tokens += parts
        if tokens:
            out[f"text_{lang}"] = list(dict.fromkeys(tokens))
    for lang in sorted(PYTHON_LANGUAGES):
        if word.lower() in stopwords(lang):
            continue
        token = stem(word, lang)
        if token and len(token.encode("utf-8")) < MAX_TOKEN_BYTES:
            out[stems_field(lang)] = [token]
            title.append(f"{lang}:{token}")
    out[TITLE_STEMS] = list(dict.fromkeys(title))
    return out


def query_parts(word: str) -> dict[str, list[str]]:
    """{code: the raw compound parts of ``word``} for de/nl/sv/fi (for engines that analyse
    the parts themselves, e.g. Elasticsearch's ``text.de``); languages without a split left out.
    """
    from .compounds import LANGUAGES, split

    return {lang: list(p) for lang in LANGUAGES if (p := split(word, lang))}
