"""The Elasticsearch backend without a server: compiled queries, the index design, documents,
snippets and configuration.

Golden files in ``tests/golden/`` pin the exact JSON sent to Elasticsearch (the index body and
the compiled search bodies). After an intended change, regenerate them with
``CCP_UPDATE_GOLDEN=1 pytest tests/test_elasticsearch_queries.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.es_support import require_client

require_client()

from config.settings import Settings  # noqa: E402
from indexer.backends import BackendConfigError, get_backend  # noqa: E402
from indexer.backends.base import result_view  # noqa: E402
from indexer.backends.elasticsearch import (  # noqa: E402
    LANGUAGE_ANALYZERS,
    LIVE_SETTINGS,
    MAX_QUERY_CLAUSES,
    POST_TAG,
    PRE_TAG,
    ElasticsearchBackend,
    compile_cursor_query,
    compile_query,
    document,
    index_body,
    index_mappings,
    language_slot,
    search_fields,
    snippet_from_fragment,
)
from indexer.backends.elasticsearch.queries import compile_vocabulary  # noqa: E402
from indexer.query import (  # noqa: E402
    FACETS,
    RELAXED_SPELLING,
    RELAXED_WORDS,
    SearchQuery,
)
from indexer.textplan import LISTING_WEIGHT  # noqa: E402
from tests.search_corpus import make_resource, utc  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("CCP_UPDATE_GOLDEN") == "1"

# Elasticsearch's built-in language analyzers (reference: "Language analyzers" in the
# Elasticsearch 8/9 docs). Polish, Slovak, Slovenian, Croatian and Maltese are not among them.
BUILT_IN_ANALYZERS = {
    "arabic", "armenian", "basque", "bengali", "brazilian", "bulgarian", "catalan", "cjk",
    "czech", "danish", "dutch", "english", "estonian", "finnish", "french", "galician",
    "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian", "latvian",
    "lithuanian", "norwegian", "persian", "portuguese", "romanian", "russian", "serbian",
    "sorani", "spanish", "swedish", "turkish", "thai",
}


def check_golden(name: str, value) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with CCP_UPDATE_GOLDEN=1 to create it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected, (
        f"{path.name} differs from what the code produces now; if the change is intended, "
        "regenerate with CCP_UPDATE_GOLDEN=1 and review the diff"
    )


# -- golden files -----------------------------------------------------------------------------

QUERY_CASES = {
    "query_empty": lambda: compile_query(SearchQuery()),
    "query_words": lambda: compile_query(SearchQuery(text="circular economy")),
    "query_syntax": lambda: compile_query(
        SearchQuery(text='"feuille de route" Lisboa OR Prato -deposit -"deposit schemes"')),
    "query_only_exclusions": lambda: compile_query(SearchQuery(text="-deposit NOT bottles")),
    "query_filters": lambda: compile_query(SearchQuery(
        text="waste", filters={"language": ["fr", "nl"], "type": ["strategy"], "year": ["2021"]},
        page=3, per_page=20, facet_size=10)),
    "query_date_sort_with_gone": lambda: compile_query(
        SearchQuery(text="roadmap", sort="date", include_gone=True)),
    "query_malformed": lambda: compile_query(
        SearchQuery(text='title:(( [1 TO 5] economy~2 a^2 wa* "unclosed')),
    "query_deep_page": lambda: compile_query(
        SearchQuery(text="waste", page=900, per_page=100),
        search_after=[1.5, 1700000000000, "abc", 42]),
    "query_relaxed_words": lambda: compile_query(
        SearchQuery(text="circular economy roadmap for Lisbon"), relax=RELAXED_WORDS),
    "query_similar_spelling": lambda: compile_query(
        SearchQuery(text="circular ecomony"), relax=RELAXED_SPELLING),
    "query_vocabulary": lambda: compile_vocabulary(["ecomony", "circular"]),
    "query_cursor": lambda: compile_cursor_query(
        SearchQuery(text="waste", filters={"theme": ["waste"]}), size=10_000,
        search_after=[2.25, 1600000000000, "xyz", 7]),
}


@pytest.mark.parametrize("name", sorted(QUERY_CASES))
def test_compiled_query_matches_golden(name):
    check_golden(f"es_{name}", QUERY_CASES[name]())


def test_index_design_matches_golden():
    check_golden("es_index", {
        "live": index_body(),
        "building": index_body(building=True),
        "settings_after_rebuild": LIVE_SETTINGS,
    })


def test_every_golden_file_has_a_case():
    names = {p.stem for p in GOLDEN.glob("es_*.json")}
    assert names == {f"es_{n}" for n in QUERY_CASES} | {"es_index"}


# -- the index design -------------------------------------------------------------------------


def test_language_fields_use_built_in_analyzers():
    mapping = index_mappings()
    assert set(LANGUAGE_ANALYZERS.values()) <= BUILT_IN_ANALYZERS
    text = mapping["properties"]["text"]["properties"]
    for code, analyzer in LANGUAGE_ANALYZERS.items():
        assert text[code]["analyzer"] == analyzer
        assert text[code]["fields"]["folded"]["analyzer"] == "ccp_fold"
    assert text["other"]["analyzer"] == "ccp_fold"
    # The EU languages with a built-in analyzer all have their own field.
    for code in ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hu", "it",
                 "lt", "lv", "nl", "pt", "ro", "sv"):
        assert code in LANGUAGE_ANALYZERS


def test_mapping_is_strict_with_keyword_facets_dates_and_an_unindexed_view():
    mapping = index_mappings()
    props = mapping["properties"]
    assert mapping["dynamic"] == "strict"
    for facet in FACETS:
        assert props[facet]["type"] == "keyword"
    for name in ("date", "published", "updated"):
        assert props[name]["type"] == "date"
    assert props["view"] == {"type": "object", "enabled": False}
    assert props["id"]["type"] == "keyword"


def test_new_indices_refresh_on_demand_and_rebuilds_start_without_replicas():
    live = index_body()["settings"]["index"]
    building = index_body(building=True)["settings"]["index"]
    assert live["refresh_interval"] == building["refresh_interval"] == "-1"
    assert building["number_of_replicas"] == 0 and building["auto_expand_replicas"] is False
    assert LIVE_SETTINGS["index"]["auto_expand_replicas"] == live["auto_expand_replicas"]


def _mapped_paths(props: dict, prefix: str = "") -> set[str]:
    paths = set()
    for name, spec in props.items():
        paths.add(prefix + name)
        if "properties" in spec:
            paths |= _mapped_paths(spec["properties"], prefix + name + ".")
    return paths


def _doc_paths(doc: dict, prefix: str = "") -> set[str]:
    paths = set()
    for name, value in doc.items():
        paths.add(prefix + name)
        if isinstance(value, dict) and name != "view":
            paths |= _doc_paths(value, prefix + name + ".")
    return paths


@pytest.mark.parametrize("language", ["nl", "pl", None, "pt-BR", "NB", "sl"])
def test_documents_only_use_mapped_fields(language):
    r = make_resource("r1", "Titel", summary="Samenvatting", body="Tekst", language=language,
                      themes=("waste",), countries=("NL",), published=utc(2021, 5, 1))
    mapped = _mapped_paths(index_mappings()["properties"])
    assert _doc_paths(document(r)) <= mapped


def test_document_puts_text_in_its_language_slot():
    r = make_resource("r1", "Fietsen in de stad", summary="Kort", body="Lange tekst",
                      language="nl", themes=("mobility", "waste"), countries=("NL",),
                      sources=("amsterdam", "urbact"), published=utc(2021, 5, 1))
    doc = document(r)
    assert doc["text"] == {"nl": ["Kort", "Lange tekst", "Fietsen in de stad"]}
    assert doc["title"] == "Fietsen in de stad"
    assert doc["theme"] == ["mobility", "waste"]
    assert doc["source"] == ["amsterdam", "urbact"]
    assert doc["year"] == ["2021"]
    assert doc["date"] == doc["published"] == "2021-05-01T00:00:00Z"
    assert doc["live"] is True
    assert doc["view"] == result_view(r)


@pytest.mark.parametrize(
    "language,slot",
    [("nl", "nl"), ("NL", "nl"), ("pt-BR", "pt"), ("pt_PT", "pt"), ("nb", "no"), ("nn", "no"),
     ("pl", "other"), ("sl", "other"), ("", "other"), (None, "other"), ("xx", "other")],
)
def test_language_slot(language, slot):
    assert language_slot(language) == slot


def test_gone_resources_are_indexed_as_not_live():
    r = make_resource("g", "Old page", body="text", gone=True)
    assert document(r)["live"] is False


def test_highlight_markers_are_removed_from_indexed_text():
    r = make_resource("m", f"A {PRE_TAG}title{POST_TAG}", body=f"x{PRE_TAG}y{POST_TAG}z")
    doc = document(r)
    flat = json.dumps({k: v for k, v in doc.items() if k != "view"}, ensure_ascii=False)
    assert PRE_TAG not in flat and POST_TAG not in flat
    assert doc["text"]["en"][0] == "xyz"


# -- compiled queries -------------------------------------------------------------------------


def _text(body: dict) -> dict:
    """The clauses of a compiled query's text part (inside the listing weighting)."""
    weighted = body["query"]["bool"]["must"][0]["function_score"]
    return weighted["query"]["bool"]


def _sqs(body: dict, clause: str = "must") -> dict:
    return _all_sqs(_text(body)[clause])[0]


def _all_sqs(node) -> list[dict]:
    """Every simple_query_string in a compiled query, in order."""
    if isinstance(node, list):
        return [q for item in node for q in _all_sqs(item)]
    if not isinstance(node, dict):
        return []
    if "simple_query_string" in node:
        return [node["simple_query_string"]]
    return [q for value in node.values() for q in _all_sqs(value)]


def _units(body: dict) -> tuple[list[str], int]:
    """The counted units of a compiled query (their syntax) and how many must match."""
    must = _text(body)["must"][0]
    if "bool" in must and "minimum_should_match" in must["bool"]:
        return [_all_sqs(u)[0]["query"] for u in must["bool"]["should"]], \
            must["bool"]["minimum_should_match"]
    return [_all_sqs(must)[0]["query"]], 1


def test_search_box_syntax_is_rewritten_for_simple_query_string():
    # Each unit (a word, a phrase, an OR group) is one clause; two units: both must match.
    body = compile_query(SearchQuery(text='"feuille de route" Lisboa OR Prato -deposit'))
    assert _units(body) == (['"feuille de route"', "Lisboa | Prato"], 2)
    sqs = _sqs(body)
    assert sqs["default_operator"] == "and"
    assert sqs["lenient"] is True
    assert _sqs(body, "must_not")["query"] == "deposit"


def test_words_are_optional_beyond_two_and_stop_words_are_not_counted():
    # "2<75%": three of four counted words; "for" and "the" score but are not counted.
    units, required = _units(compile_query(SearchQuery(
        text="roadmap for the circular economy Lisbon")))
    assert units == ["roadmap", "circular", "economy", "Lisbon"] and required == 3
    assert _units(compile_query(SearchQuery(text="circular economy")))[1] == 2


def test_listing_pages_score_a_fraction_of_the_same_match():
    # The embedded engine multiplies a listing page's score by the same weight.
    weighted = compile_query(SearchQuery(text="textile collection"))["query"]["bool"]["must"][0]
    assert weighted["function_score"]["functions"] == [
        {"filter": {"term": {"listing": True}}, "weight": LISTING_WEIGHT}]
    assert weighted["function_score"]["boost_mode"] == "multiply"
    assert 0 < LISTING_WEIGHT < 1


def test_query_flags_leave_out_expensive_operators():
    flags = set(_sqs(compile_query(SearchQuery(text="x")))["flags"].split("|"))
    assert {"OR", "NOT", "PHRASE"} <= flags
    assert not flags & {"ALL", "PREFIX", "FUZZY", "NEAR", "SLOP", "ESCAPE"}


def test_title_is_boosted_over_the_text():
    fields = search_fields()
    assert fields[0] == "title^3"
    assert "text.nl" in fields and "text.nl.folded" in fields and "text.other" in fields
    assert all("^" not in f for f in fields[1:])


MALFORMED = ['"unclosed', "AND OR", "title:", "(((", ")", "*", "\\", "🙂", "-", '""', "NOT",
             "[1 TO 5]", "a^2", "~", "economy~2", "+-+", "field:value:other", "<script>", "'",
             "&&", "x" * 500, "é" * 200, "\x00\x01", "economy)", "(economy", "wa*", "a|b",
             "-(a b)", '"a" OR', "OR a", "a -", '\\"a\\"', "a\u2029b", "😀 OR 😀"]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_input_compiles_to_plain_words(text):
    body = compile_query(SearchQuery(text=text))
    for clause in ("must", "should", "must_not"):
        text = _text(body) if "must" in body["query"].get("bool", {}) else {}
        for sqs in _all_sqs(text.get(clause, [])):
            syntax = sqs["query"]
            # Only words, spaces, quotes around phrases, | and parentheses reach Elasticsearch.
            assert re.fullmatch(r'[\w "|()]+', syntax) and "_" not in syntax, syntax
            assert syntax.count('"') % 2 == 0 and syntax.count("(") == syntax.count(")")


def test_query_without_words_lists_everything_newest_first():
    body = compile_query(SearchQuery(text="((( AND"))
    assert body["query"] == {"bool": {"filter": [{"term": {"live": True}}]}}
    assert "highlight" not in body
    assert body["sort"][0] == {"date": {"order": "desc", "missing": "_last"}}


def test_relevance_sort_breaks_ties_by_date_then_id():
    sort = compile_query(SearchQuery(text="waste"))["sort"]
    assert sort == [{"_score": {"order": "desc"}},
                    {"date": {"order": "desc", "missing": "_last"}},
                    {"id": {"order": "asc"}}]
    assert compile_query(SearchQuery(text="waste", sort="date"))["sort"] == sort[1:]


def test_gone_filter_is_dropped_when_gone_resources_are_asked_for():
    assert "filter" not in compile_query(SearchQuery(text="a", include_gone=True))["query"]["bool"]
    assert compile_query(SearchQuery(include_gone=True))["query"] == {"match_all": {}}


def test_facet_filters_are_disjunctive():
    filters = {"language": ["fr", "nl"], "type": ["strategy"]}
    body = compile_query(SearchQuery(text="waste", filters=filters))
    terms = {"language": {"terms": {"language": ["fr", "nl"]}},
             "type": {"terms": {"type": ["strategy"]}}}
    # Hits: every filter (AND across facets, OR within one) after the aggregations.
    assert body["post_filter"] == {"bool": {"filter": [terms["language"], terms["type"]]}}
    assert '"terms"' not in json.dumps(body["query"])  # facet filters never narrow the query
    # Each facet is counted under every filter except its own.
    aggs = body["aggs"]
    assert aggs["language"]["filter"] == {"bool": {"filter": [terms["type"]]}}
    assert aggs["type"]["filter"] == {"bool": {"filter": [terms["language"]]}}
    assert aggs["theme"]["filter"] == {"bool": {"filter": [terms["language"], terms["type"]]}}
    assert aggs["year"]["aggs"]["values"]["terms"]["field"] == "year"
    assert set(aggs) == set(FACETS)


def test_paging_uses_from_within_the_window_and_search_after_beyond_it():
    body = compile_query(SearchQuery(text="a", page=4, per_page=25))
    assert body["from"] == 75 and body["size"] == 25 and "search_after" not in body
    deep = compile_query(SearchQuery(text="a", page=400, per_page=100), search_after=[1.0, 2, "x"])
    assert deep["search_after"] == [1.0, 2, "x"] and "from" not in deep and deep["size"] == 100
    cursor = compile_cursor_query(SearchQuery(text="a", page=400, per_page=100), size=10_000)
    assert cursor["size"] == 10_000 and cursor["_source"] is False
    assert cursor["sort"] == deep["sort"] and cursor["query"] == deep["query"]
    assert "aggs" not in cursor and "highlight" not in cursor


def test_long_queries_are_cut_to_the_clause_budget():
    words = [f"w{i}" for i in range(60)]
    body = compile_query(SearchQuery(text=" ".join(words) + " -nope"))
    units, required = _units(body)
    assert units == words[:MAX_QUERY_CLAUSES] and required == MAX_QUERY_CLAUSES * 3 // 4
    assert "must_not" not in _text(body)  # no budget left for the exclusion
    half = compile_query(SearchQuery(text="waste bins OR bags deposit -glass"), max_clauses=3)
    assert _units(half) == (["waste", "bins | bags"], 2)


def test_highlighting_uses_markers_and_only_the_positive_words():
    body = compile_query(SearchQuery(text="waste -deposit"))
    hl = body["highlight"]
    assert hl["pre_tags"] == [PRE_TAG] and hl["post_tags"] == [POST_TAG]
    assert hl["encoder"] == "default"  # text comes back raw; Snippet.to_html escapes it
    assert hl["highlight_query"]["simple_query_string"]["query"] == "waste"
    two = compile_query(SearchQuery(text="waste Lisboa"))["highlight"]["highlight_query"]
    assert two["simple_query_string"]["query"] == "waste | Lisboa"
    assert set(hl["fields"]) == {f"text.{c}" for c in LANGUAGE_ANALYZERS} | {"text.other"}


def test_compiling_is_pure_and_repeatable():
    q = SearchQuery(text="a OR b", filters={"theme": ["waste"]})
    assert compile_query(q) == compile_query(q)
    assert q.filters == {"theme": ["waste"]} and q.text == "a OR b"


# -- snippets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fragment,text,marked",
    [
        (f"the {PRE_TAG}circular{POST_TAG} city", "the circular city", ["circular"]),
        (f"{PRE_TAG}a{POST_TAG} and {PRE_TAG}b{POST_TAG}", "a and b", ["a", "b"]),
        (f"x  \n\n {PRE_TAG}y{POST_TAG}\tz", "x y z", ["y"]),
        (f"  lead {PRE_TAG}w{POST_TAG}  ", "lead w", ["w"]),
        (f"<b>{PRE_TAG}&amp;{POST_TAG}</b>", "<b>&amp;</b>", ["&amp;"]),
        (f"{PRE_TAG}feuille{POST_TAG} {PRE_TAG}de{POST_TAG}", "feuille de", ["feuille", "de"]),
        (f"{PRE_TAG}ab{POST_TAG}{PRE_TAG}cd{POST_TAG}", "abcd", ["abcd"]),
        (f"{PRE_TAG}ré{POST_TAG}emploi 🙂 {PRE_TAG}ü{POST_TAG}", "réemploi 🙂 ü",
         ["ré", "ü"]),
        (f"{PRE_TAG}{POST_TAG}empty", "empty", []),
        (f"{PRE_TAG}unterminated", "unterminated", ["unterminated"]),
        ("no marks", "no marks", []),
    ],
)
def test_snippet_from_fragment(fragment, text, marked):
    snippet = snippet_from_fragment(fragment)
    assert snippet.text == text
    assert [snippet.text[s:e] for s, e in snippet.highlights] == marked


def test_snippet_html_is_escaped_not_trusted():
    snippet = snippet_from_fragment(f"<script>x</script> {PRE_TAG}<i>{POST_TAG}")
    html = str(snippet.to_html())
    assert html == "&lt;script&gt;x&lt;/script&gt; <mark>&lt;i&gt;</mark>"


# -- configuration ----------------------------------------------------------------------------


def _settings(**env) -> Settings:
    return Settings.from_env(environ={"CCP_SEARCH_BACKEND": "elasticsearch", **env})


def test_settings_come_from_the_environment():
    s = _settings(CCP_ELASTICSEARCH_URL="https://es1:9200,https://es2:9200",
                  CCP_ELASTICSEARCH_INDEX="portal", CCP_ELASTICSEARCH_API_KEY="k3y",
                  CCP_ELASTICSEARCH_CA_CERTS="/etc/ssl/es-ca.pem")
    assert s.elasticsearch_url == "https://es1:9200,https://es2:9200"
    assert s.elasticsearch_index == "portal"
    assert s.elasticsearch_api_key == "k3y"
    assert str(s.elasticsearch_ca_certs) == "/etc/ssl/es-ca.pem"
    assert Settings.from_env(environ={}).elasticsearch_index == "ccp-resources"
    assert "k3y" not in repr(s)
    pw = _settings(CCP_ELASTICSEARCH_USERNAME="u", CCP_ELASTICSEARCH_PASSWORD="s3cret")
    assert pw.elasticsearch_password == "s3cret" and "s3cret" not in repr(pw)


def test_get_backend_builds_the_elasticsearch_backend_without_connecting():
    s = _settings(CCP_ELASTICSEARCH_URL="http://127.0.0.1:9,http://127.0.0.2:9",
                  CCP_ELASTICSEARCH_INDEX="portal-test")
    backend = get_backend(s)
    try:
        assert isinstance(backend, ElasticsearchBackend)
        assert backend.index == "portal-test"
        assert backend.where == "Elasticsearch at http://127.0.0.1:9, http://127.0.0.2:9"
    finally:
        backend.close()


def test_credentials_never_appear_in_messages():
    backend = ElasticsearchBackend.connect("http://user:pa55word@127.0.0.1:9", "x",
                                           max_retries=0)
    try:
        assert "pa55word" not in backend.where and "user" not in backend.where
    finally:
        backend.close()


@pytest.mark.parametrize(
    "env,message",
    [
        ({}, "CCP_ELASTICSEARCH_URL"),
        ({"CCP_ELASTICSEARCH_URL": " , "}, "no Elasticsearch URL"),
        ({"CCP_ELASTICSEARCH_URL": "http://h:9200", "CCP_ELASTICSEARCH_INDEX": "Bad Name"},
         "invalid Elasticsearch index name"),
        ({"CCP_ELASTICSEARCH_URL": "http://h:9200", "CCP_ELASTICSEARCH_INDEX": "-x"},
         "invalid Elasticsearch index name"),
        ({"CCP_ELASTICSEARCH_URL": "http://h:9200", "CCP_ELASTICSEARCH_USERNAME": "u"},
         "both a username and a password"),
    ],
)
def test_bad_configuration_is_reported(env, message):
    with pytest.raises(BackendConfigError, match=message):
        get_backend(_settings(**env))


def test_dates_are_utc_iso_strings():
    r = make_resource("d", "t", published=datetime(2021, 5, 1, 12, 30, tzinfo=timezone.utc))
    r.updated = datetime(2022, 1, 2, 3, 4, 5)  # naive: taken as UTC
    doc = document(r)
    assert doc["published"] == "2021-05-01T12:30:00Z"
    assert doc["updated"] == "2022-01-02T03:04:05Z"
    undated = make_resource("u", "t", published=None)
    assert document(undated)["date"] is None and document(undated)["year"] == []
