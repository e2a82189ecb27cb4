"""The portal's taxonomy: resource types and themes, with multilingual keyword lists.

Operator data in ``config/taxonomy.yaml``, validated here with pydantic so a typo fails at load
time naming the file and the key, never in the middle of a harvest. The classifier in
``indexer.classify`` compiles these lists; this module only loads and checks them (``config``
imports nothing of the project).

Keyword syntax (one phrase per entry, matched on whole words after case and accent folding):

* ``plastic`` matches the word *plastic* only;
* ``plastic*`` matches any word starting with *plastic* (plastics, plasticsoep, …);
* ``food waste`` matches the two words in a row; each word may end with ``*``;
* ``*strategi`` (one word, at least 5 letters) matches any word containing it: the head of a
  compound (*kiertotalousstrategia*, *avfallsstrategin*, *Kreislaufwirtschaftsstrategie*).

Write keywords with their accents (``déchet*``): text and keywords are folded alike.

A theme's ``broad`` words (``waste``, ``construction``, ``schools``) count where they name the
document's subject — its title, categories and URL — but not in its body text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .models import LANGUAGES

__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "LABEL_LANGUAGES",
    "REQUIRED_LANGUAGES",
    "OffTopicSpec",
    "Taxonomy",
    "TaxonomyError",
    "ThemeSpec",
    "TypeSpec",
    "default_taxonomy",
    "load_taxonomy",
    "taxonomy_descriptions",
    "taxonomy_labels",
]

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
# Every theme and type (but "other") needs keywords in each of these languages.
REQUIRED_LANGUAGES = ("en", "nl", "fr", "de", "it", "pt", "es", "lt", "no", "pl", "sv", "fi", "cs")

# Every type and theme is labelled and described in each language of the interface.
LABEL_LANGUAGES = ("en", "nl", "fr", "de", "it", "pt", "es", "lt", "pl", "no", "fi", "el")

_KEY_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
# words of letters/digits (any script), a word may end with '*'; words separated by one space
_KEYWORD_RE = re.compile(r"^[^\W_]+(?:[-'’][^\W_]+)*\*?(?: [^\W_]+(?:[-'’][^\W_]+)*\*?)*$")
_INFIX_RE = re.compile(r"^\*[^\W_]{5,}$")


class TaxonomyError(Exception):
    """The taxonomy file is missing or invalid; the message names the file and key."""


def _check_keywords(kw: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lang, words in kw.items():
        if lang not in LANGUAGES:
            raise ValueError(f"{lang!r} is not a language code known to the portal")
        cleaned = []
        for w in words:
            w = " ".join(str(w).split())
            if w.startswith("*"):
                if not _INFIX_RE.match(w):
                    raise ValueError(f"keyword {w!r} ({lang}): a '*part' keyword is one word of "
                                     "at least 5 letters")
                cleaned.append(w)
                continue
            if not _KEYWORD_RE.match(w):
                raise ValueError(
                    f"keyword {w!r} ({lang}) must be words of letters or digits, "
                    "each optionally ending with '*'"
                )
            stem = w.split(" ")[0].rstrip("*")
            if w.split(" ")[0].endswith("*") and len(stem) < 3:
                raise ValueError(f"keyword {w!r} ({lang}): a prefix needs at least 3 letters")
            cleaned.append(w)
        out[lang] = cleaned
    return out


def _check_url_words(words: list[str]) -> list[str]:
    return _check_keywords({"en": words})["en"]


def _check_texts(texts: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for lang, text in texts.items():
        if lang not in LANGUAGES:
            raise ValueError(f"{lang!r} is not a language code known to the portal")
        text = " ".join(str(text).split())
        if not text:
            raise ValueError(f"the {lang} text is empty")
        out[lang] = text
    return out


# keyword lists per language, and words of a URL path, checked as they are loaded
Keywords = Annotated[dict[str, list[str]], AfterValidator(_check_keywords)]
# a label or a one-line description per language
Texts = Annotated[dict[str, str], AfterValidator(_check_texts)]
UrlWords = Annotated[list[str], AfterValidator(_check_url_words)]


class TypeSpec(BaseModel):
    """A resource type: how to recognise it."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    labels: Texts = Field(default_factory=dict, description="The label in each language.")
    descriptions: Texts = Field(default_factory=dict,
                                description="A one-line description in each language.")
    keywords: Keywords = Field(default_factory=dict, description="Per language.")
    url: UrlWords = Field(default_factory=list, description="Words of the URL path (keyword syntax).")
    schema_types: list[str] = Field(
        default_factory=list, description="schema.org @type values that mean this type."
    )
    headings: Keywords = Field(
        default_factory=dict,
        description="Per language: words of the section headings documents of this type have "
        "(a case study's 'Results' and 'Lessons learned', an event's 'Programme' and "
        "'Registration', a call's 'Eligibility'); a little evidence, in headings only.",
    )
    fallback: bool = Field(
        default=False,
        description="A channel rather than a kind of content (news): chosen only when no other "
        "type has enough evidence. Cities publish strategies, calls and guides in their news "
        "section, so a news URL alone must not hide what the document is.",
    )


class ThemeSpec(BaseModel):
    """A theme of the portal's scope."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    labels: Texts = Field(default_factory=dict, description="The label in each language.")
    descriptions: Texts = Field(default_factory=dict,
                                description="A one-line description in each language.")
    parent: str | None = Field(
        default=None,
        description="The broader theme it is shown under. A document gets the parent theme only "
        "on the parent's own evidence, never just because a sub-theme matched.",
    )
    description: str | None = None
    keywords: Keywords = Field(
        default_factory=dict, description="Per language: words and phrases that are evidence anywhere."
    )
    types: list[str] = Field(
        default_factory=list,
        description="Resource types whose documents belong to this theme (a strategy is about "
        "strategies and roadmaps).",
    )
    broad: Keywords = Field(
        default_factory=dict,
        description="Per language: broad words (waste, construction, schools) that name the theme "
        "in a title, a category or a URL but are not evidence in the body text, where they "
        "turn up in documents about anything.",
    )


class OffTopicSpec(BaseModel):
    """A kind of page that is not a resource on the portal's subjects, however many of its words
    it uses: a job offer in the waste department, a road closure for a race, a festival
    programme, the council's budget. Recognised by its title, its section (breadcrumbs,
    categories) or its URL, never by its body text; such a page gets no themes, and the type
    ``type`` unless a type of content has more evidence."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    type: str = Field(description="The resource type of such a page: news or other.")
    keywords: Keywords = Field(default_factory=dict, description="Per language.")
    url: UrlWords = Field(default_factory=list, description="Words of the URL path (keyword syntax).")


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    types: dict[str, TypeSpec]
    themes: dict[str, ThemeSpec]
    off_topic: dict[str, OffTopicSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> "Taxonomy":
        for key, theme in self.themes.items():
            if theme.parent is None:
                continue
            if theme.parent not in self.themes:
                raise ValueError(f"themes.{key}.parent: unknown theme {theme.parent!r}")
            if self.themes[theme.parent].parent is not None:
                raise ValueError(f"themes.{key}.parent: themes nest one level only")
        for section, entries in (("types", self.types), ("themes", self.themes),
                                 ("off_topic", self.off_topic)):
            for key, spec in entries.items():
                if not _KEY_RE.match(key):
                    raise ValueError(f"{section}.{key}: keys are lowercase letters, digits and '-'")
                if section == "types" and key == "other":
                    continue
                missing = [lang for lang in REQUIRED_LANGUAGES if not spec.keywords.get(lang)]
                if missing:
                    raise ValueError(f"{section}.{key}: no keywords for {', '.join(missing)}")
        if "other" not in self.types:
            raise ValueError("types: the fallback type 'other' is missing")
        for key, theme in self.themes.items():
            for t in theme.types:
                if t not in self.types:
                    raise ValueError(f"themes.{key}.types: unknown type {t!r}")
        for key, spec in self.off_topic.items():
            if spec.type not in self.types:
                raise ValueError(f"off_topic.{key}.type: unknown type {spec.type!r}")
        for section, entries in (("types", self.types), ("themes", self.themes)):
            for key, spec in entries.items():
                _check_translated(f"{section}.{key}", spec)
        return self

    def children(self, key: str) -> list[str]:
        return [k for k, t in self.themes.items() if t.parent == key]


def _check_translated(where: str, spec: TypeSpec | ThemeSpec) -> None:
    """A label and a description in every language of the interface; labels.en is label."""
    for field in ("labels", "descriptions"):
        missing = [lang for lang in LABEL_LANGUAGES if lang not in getattr(spec, field)]
        if missing:
            raise ValueError(f"{where}.{field}: none for {', '.join(missing)}")
    if spec.labels["en"] != spec.label:
        raise ValueError(f"{where}.labels.en: {spec.labels['en']!r} is not the label "
                         f"{spec.label!r}")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (default: ``config/taxonomy.yaml``)."""
    p = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"{p}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TaxonomyError(f"{p}:{where} not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise TaxonomyError(f"{p}: must be a mapping with 'version', 'types' and 'themes'")
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err.get("loc", ()))
            msg = err.get("msg", "invalid")
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            if err.get("type") == "extra_forbidden":
                msg = "unknown key"
            problems.append(f"{p}: {key}: {msg}" if key else f"{p}: {msg}")
        raise TaxonomyError("\n".join(problems)) from None


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The portal's taxonomy, loaded once."""
    return load_taxonomy(DEFAULT_TAXONOMY_PATH)


def _spec(kind: str, key: str) -> TypeSpec | ThemeSpec:
    tax = default_taxonomy()
    entries = {"type": tax.types, "theme": tax.themes}.get(kind)
    if entries is None:
        raise KeyError(f"{kind!r} is not a kind of the taxonomy (type or theme)")
    if key not in entries:
        raise KeyError(f"the taxonomy has no {kind} {key!r}")
    return entries[key]


def taxonomy_labels(kind: str, key: str) -> dict[str, str]:
    """A type's or theme's label in every language: ``{"en": "Food waste", "lt": "Maisto
    švaistymas", …}`` (``kind`` is "type" or "theme"; KeyError for an unknown key)."""
    spec = _spec(kind, key)
    return {"en": spec.label, **spec.labels}


def taxonomy_descriptions(kind: str, key: str) -> dict[str, str]:
    """A type's or theme's one-line description in every language (as taxonomy_labels)."""
    return dict(_spec(kind, key).descriptions)
