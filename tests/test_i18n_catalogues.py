"""Every translation catalogue is complete: each message of the interface (extracted afresh from
the code and the templates, as ``pybabel extract`` does) is translated in every language, none
is fuzzy or empty, placeholders and markup match, plural forms are as many as the language has,
and the compiled ``.mo`` files shipped with the package are those of their ``.po`` files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from search_ui.i18n import LOCALES, TRANSLATIONS_DIR, UI_LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [LOCALES[c] for c in UI_LANGUAGES if c != "en"]  # English is the source
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s")
MARKUP = re.compile(r"</?[a-z]+\b")


def _source_messages() -> dict[object, set[str]]:
    """msgid (a tuple for plurals) -> where it is used, extracted as babel.cfg says."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[object, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        if message and message != ("", ""):
            found.setdefault(message, set()).add(filename)
    return found


@pytest.fixture(scope="module")
def source() -> dict[object, set[str]]:
    found = _source_messages()
    assert len(found) > 300  # the interface is marked, not just a few strings
    return found


def _catalogue(locale: str) -> Catalog:
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"{path} is missing: run pybabel init (see README)"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def test_the_template_is_up_to_date(source):
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as fh:
        pot = read_po(fh)
    in_pot = {m.id for m in pot if m.id}
    assert set(source) - in_pot == set(), "run pybabel extract (see README)"
    assert in_pot - set(source) == set(), "messages no longer used: run pybabel extract"


def catalogue_problems(cat: Catalog, locale: str, source) -> list[str]:
    """What is wrong with ``cat`` as the ``locale`` translation of the ``source`` messages."""
    nplurals = get_plural(locale).num_plurals
    problems = []
    if cat.num_plurals != nplurals:
        problems.append(f"the header's Plural-Forms is not CLDR's ({nplurals} forms)")
    for msgid in source:
        m = cat.get(msgid)
        if m is None:
            problems.append(f"missing: {msgid!r}")
            continue
        if m.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        if isinstance(msgid, tuple) and len(forms) != nplurals:
            problems.append(f"{len(forms)} plural forms instead of {nplurals}: {msgid!r}")
        if not all(f and f.strip() for f in forms):
            problems.append(f"empty: {msgid!r}")
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        wanted = set(PLACEHOLDER.findall(" ".join(english)))
        for form in forms:
            if set(PLACEHOLDER.findall(form or "")) - wanted:
                problems.append(f"unknown placeholder in {form!r}")
        if not isinstance(msgid, tuple) and sorted(PLACEHOLDER.findall(m.string or "")) != \
                sorted(PLACEHOLDER.findall(msgid)):
            problems.append(f"placeholders differ: {msgid!r} -> {m.string!r}")
        if sorted(MARKUP.findall(forms[-1] or "")) != sorted(MARKUP.findall(english[-1])):
            problems.append(f"markup differs: {msgid!r} -> {forms[-1]!r}")
    for message, errors in cat.check():
        problems += [f"{message.id!r}: {e}" for e in errors]
    return problems


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_in(locale, source):
    problems = catalogue_problems(_catalogue(locale), locale, source)
    assert problems == [], f"{locale}: " + "\n".join(problems)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_shipped_mo_file_is_the_po_file_compiled(locale):
    po = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run pybabel compile (see README)"
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(locale), use_fuzzy=False)
    assert mo.read_bytes() == compiled.getvalue(), f"{mo} is stale: run pybabel compile"


def test_a_fuzzy_or_missing_entry_is_caught(tmp_path, source):
    """The checks above fail on what they must: a catalogue with one entry left fuzzy and one
    removed (the test's own copy; the shipped catalogues are not touched)."""
    cat = _catalogue("nl")
    assert catalogue_problems(cat, "nl", source) == []
    ids = sorted((m.id for m in cat if m.id and isinstance(m.id, str)), key=str)
    cat[ids[0]].flags.add("fuzzy")
    del cat[ids[1]]
    cat[ids[2]].string = cat[ids[2]].string.replace("%(", "%(x")
    problems = catalogue_problems(cat, "nl", source)
    assert f"fuzzy: {ids[0]!r}" in problems and f"missing: {ids[1]!r}" in problems
    assert any(ids[2] in p for p in problems if "placeholder" in p), problems


def test_a_catalogue_edited_without_compiling_is_compiled_at_start(tmp_path):
    """A translator edits a .po file and starts the portal: ensure_compiled makes the .mo
    (in a copy of the catalogues; the shipped ones are not touched)."""
    import shutil

    from search_ui.i18n import ensure_compiled

    shutil.copytree(TRANSLATIONS_DIR / "lt", tmp_path / "lt")
    mo = tmp_path / "lt" / "LC_MESSAGES" / "messages.mo"
    mo.unlink()
    assert ensure_compiled(tmp_path) == [mo]
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue("lt"), use_fuzzy=False)
    assert mo.read_bytes() == compiled.getvalue()
    assert ensure_compiled(tmp_path) == []  # up to date: nothing to do
