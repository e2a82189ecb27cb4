"""Source configuration fails at load time, naming the file, the key and what is wrong.

An operator edits YAML by hand; a mistake must stop ``ccp sources check`` / ``ccp harvest``
before any request is sent, with a message that says where to look. Table-driven: each case
is one small file and the problem the loader must report for it. The shipped files in
``config/sources/`` are covered by ``test_shipped_sources.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config import Settings, SourceConfigError, load_source_file, load_sources
from config.models import CrawlSource, FeedSource, SitemapSource

FEED = {"id": "oslo-news", "name": "Oslo news", "type": "feed",
        "url": "https://www.oslo.kommune.no/rss/nyheter.xml", "country": "NO", "language": "no"}
CRAWL = {"id": "porto-ambiente", "name": "Porto ambiente", "type": "crawl",
         "start_urls": ["https://ambiente.cm-porto.pt/economia-circular/"],
         "follow": [r"^https://ambiente\.cm-porto\.pt/economia-circular/"],
         "items": [r"^https://ambiente\.cm-porto\.pt/economia-circular/[^?#]+$"]}
SITEMAP = {"id": "urbact-sitemap", "name": "URBACT", "type": "sitemap",
           "url": "https://urbact.eu/sitemap.xml", "follow": [r"^https://urbact\.eu/networks/"]}


def _without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


def _write(tmp_path: Path, name: str, content: dict | list | str) -> Path:
    p = tmp_path / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    p.write_text(text, encoding="utf-8")
    return p


def _problems(path: Path) -> list:
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    return info.value.problems


# (case id, file content, key the problem must name, fragments its message must contain)
BAD_FILES = [
    ("unknown-type", {**FEED, "type": "rss"}, "type", ["feed", "sitemap", "crawl"]),
    ("missing-type", _without(FEED, "type"), "type", ["missing"]),
    ("feed-without-url", _without(FEED, "url"), "url", ["required"]),
    ("feed-url-not-a-url", {**FEED, "url": "www.oslo.kommune.no/rss"}, "url", ["URL"]),
    ("sitemap-without-url", _without(SITEMAP, "url"), "url", ["required"]),
    ("crawl-without-start-urls", _without(CRAWL, "start_urls"), "start_urls", ["required"]),
    ("crawl-empty-start-urls", {**CRAWL, "start_urls": []}, "start_urls", ["at least 1"]),
    ("crawl-bad-follow-regex", {**CRAWL, "follow": [r"^https://ambiente\.cm-porto\.pt/(eco"]},
     "follow", [r"'^https://ambiente\\.cm-porto\\.pt/(eco'", "not a valid regular expression"]),
    ("crawl-bad-items-regex", {**CRAWL, "items": ["^https://ok/", "[z-a]"]},
     "items", ["'[z-a]'", "not a valid regular expression"]),
    ("sitemap-bad-follow-regex", {**SITEMAP, "follow": ["*.pdf"]},
     "follow", ["'*.pdf'", "not a valid regular expression"]),
    ("typo-in-key", {**_without(CRAWL, "follow"), "follw": CRAWL["follow"]}, "follw",
     ["unknown key"]),
    ("typo-in-selector-key", {**CRAWL, "selectors": {"titel": "h1"}}, "selectors.titel",
     ["unknown key"]),
    ("unknown-country", {**FEED, "country": "XX"}, "country", ["'XX'", "ISO 3166"]),
    ("country-name-not-code", {**FEED, "country": "Norway"}, "country", ["ISO 3166"]),
    ("unknown-language", {**FEED, "language": "xx"}, "language", ["'xx'", "ISO 639-1"]),
    ("language-name-not-code", {**FEED, "language": "Norsk"}, "language", ["ISO 639-1"]),
    ("id-uppercase", {**FEED, "id": "Oslo-News"}, "id", ["lowercase"]),
    ("id-with-spaces", {**FEED, "id": "oslo news"}, "id", ["lowercase"]),
    ("id-one-character", {**FEED, "id": "o"}, "id", ["2-63"]),
    ("id-starting-with-dash", {**FEED, "id": "-oslo"}, "id", ["starting with"]),
    ("empty-name", {**FEED, "name": ""}, "name", ["at least 1"]),
    ("schedule-both", {**FEED, "schedule": {"interval": {"hours": 6}, "cron": "0 6 * * *"}},
     "schedule", ["exactly one of 'interval' or 'cron'"]),
    ("schedule-neither", {**FEED, "schedule": {}}, "schedule",
     ["exactly one of 'interval' or 'cron'"]),
    ("cron-four-fields", {**FEED, "schedule": {"cron": "0 6 * *"}}, "schedule", ["5 fields"]),
    ("cron-six-fields", {**FEED, "schedule": {"cron": "0 0 6 * * *"}}, "schedule", ["5 fields"]),
    ("interval-zero", {**FEED, "schedule": {"interval": {"hours": 0}}}, "schedule", ["positive"]),
    ("interval-negative", {**FEED, "schedule": {"interval": {"minutes": -5}}}, "schedule",
     ["positive"]),
    ("interval-empty", {**FEED, "schedule": {"interval": {}}}, "schedule", ["positive"]),
    ("interval-unknown-unit", {**FEED, "schedule": {"interval": {"weeks": 1}}},
     "schedule.interval", ["'seconds', 'minutes', 'hours' or 'days'"]),
    ("crawl-too-deep", {**CRAWL, "max_depth": 50}, "max_depth", ["20"]),
    ("negative-delay", {**FEED, "download_delay": -1}, "download_delay", ["0"]),
    ("enabled-not-a-boolean", {**FEED, "enabled": "maybe"}, "enabled", ["boolean"]),
    ("a-list-not-a-mapping", [FEED], "(document)", ["mapping"]),
    ("a-plain-string", "just some text\n", "(document)", ["mapping"]),
    ("an-empty-file", "", "(document)", ["mapping"]),
]


@pytest.mark.parametrize("content,key,fragments",
                         [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_a_bad_source_file_names_the_file_the_key_and_the_problem(tmp_path, content, key,
                                                                  fragments):
    path = _write(tmp_path, "bad-source.yaml", content)
    problems = _problems(path)
    assert [p.key for p in problems if p.key.startswith(key)], problems
    p = next(p for p in problems if p.key.startswith(key))
    assert p.file == str(path)
    for fragment in fragments:
        assert fragment in p.message, (fragment, p.message)
    # what an operator reads (the CLI prints str(problem)) has all three
    assert str(path) in str(p) and key in str(p)
    # load_source_file reports exactly the same
    with pytest.raises(SourceConfigError) as one:
        load_source_file(path)
    assert [str(x) for x in one.value.problems] == [str(x) for x in problems]


def test_every_problem_of_one_file_is_reported_at_once(tmp_path):
    path = _write(tmp_path, "many.yaml", {**CRAWL, "country": "XX", "language": "xx",
                                          "follw": [], "start_urls": []})
    keys = {p.key for p in _problems(path)}
    assert {"country", "language", "follw", "start_urls"} <= keys


@pytest.mark.parametrize("text,line", [
    # the value of url is indented under a key that already has a value
    ('id: oslo-news\nname: Oslo\ntype: feed\nurl: https://e.org/f\n  tags: [a, b]\n', 5),
    # an unclosed flow sequence runs to the end of the file
    ('id: oslo-news\nname: Oslo\ntype: crawl\nstart_urls: [https://e.org/\n', 5),
    # a tab in the indentation
    ('id: oslo-news\nname: Oslo\nschedule:\n\tcron: "0 6 * * *"\n', 4),
])
def test_invalid_yaml_names_the_line(tmp_path, text, line):
    path = _write(tmp_path, "broken.yaml", text)
    [problem] = _problems(path)
    assert problem.file == str(path)
    assert problem.key == f"line {line}"
    assert "not valid YAML" in problem.message
    assert f"{path}: line {line}: not valid YAML" in str(problem)


def test_a_file_that_is_not_utf8_is_reported_not_crashed_on(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(yaml.safe_dump({**FEED, "name": "Bygdøy"}, allow_unicode=True)
                     .encode("latin-1"))
    [problem] = _problems(path)
    assert problem.file == str(path) and "cannot be read" in problem.message


def test_duplicate_ids_across_two_files_name_both_files(tmp_path):
    first = _write(tmp_path, "a-oslo.yaml", FEED)
    second = _write(tmp_path, "b-oslo-copy.yaml", {**FEED, "name": "Oslo news (copy)"})
    [problem] = _problems(tmp_path)
    assert problem.key == "id"
    assert "'oslo-news'" in problem.message
    text = str(problem)
    assert str(first) in text and str(second) in text


def test_a_directory_with_several_bad_files_reports_every_problem(tmp_path):
    _write(tmp_path, "good.yaml", FEED)
    bad_type = _write(tmp_path, "bad-type.yaml", {**CRAWL, "type": "spider"})
    bad_regex = _write(tmp_path, "bad-regex.yml", {**SITEMAP, "follow": ["(unclosed"]})
    bad_yaml = _write(tmp_path, "bad-yaml.yaml", "id: x\nname: [\n")
    with pytest.raises(SourceConfigError) as info:
        load_sources(tmp_path)
    by_file = {p.file: p for p in info.value.problems}
    assert set(by_file) == {str(bad_type), str(bad_regex), str(bad_yaml)}
    assert by_file[str(bad_type)].key == "type"
    assert by_file[str(bad_regex)].key == "follow"
    assert by_file[str(bad_yaml)].key.startswith("line ")
    # the exception text lists them all, one per line
    assert len(str(info.value).splitlines()) == 3


def test_a_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "no-such-dir"
    [problem] = _problems(missing)
    assert problem.file == str(missing) and "no such file or directory" in problem.message


# -- what valid files load as -------------------------------------------------------------

@pytest.mark.parametrize("given,expected", [("no", "NO"), ("pt", "PT"), ("eu", "EU"),
                                            ("Nl", "NL")])
def test_country_is_accepted_in_any_case_and_upper_cased(tmp_path, given, expected):
    src = load_source_file(_write(tmp_path, "s.yaml", {**FEED, "country": given}))
    assert src.country == expected


@pytest.mark.parametrize("given,expected", [("nb", "no"), ("nn", "no"), ("NB", "no"),
                                            ("EN", "en"), ("lt", "lt")])
def test_language_is_lower_cased_and_norwegian_variants_become_no(tmp_path, given, expected):
    src = load_source_file(_write(tmp_path, "s.yaml", {**FEED, "language": given}))
    assert src.language == expected


def test_unquoted_norway_loads_as_norway(tmp_path):
    # what an operator in Oslo writes by hand
    text = ("id: oslo-news\nname: Oslo news\ntype: feed\n"
            "url: https://www.oslo.kommune.no/rss/nyheter.xml\ncountry: NO\nlanguage: no\n"
            "enabled: yes\n")
    src = load_source_file(_write(tmp_path, "oslo.yaml", text))
    assert (src.country, src.language, src.enabled) == ("NO", "no", True)


def test_each_type_loads_as_its_model_with_defaults(tmp_path):
    for d in (FEED, CRAWL, SITEMAP):
        _write(tmp_path, f"{d['id']}.yaml", d)
    _write(tmp_path, "html-listing.yml", {**CRAWL, "id": "denhaag-listing", "type": "html",
                                          "selectors": {"title": "h1", "date": "//time/@datetime"}})
    (tmp_path / "README.md").write_text("not a source", encoding="utf-8")
    by_id = {s.id: s for s in load_sources(tmp_path)}
    assert set(by_id) == {"oslo-news", "porto-ambiente", "urbact-sitemap", "denhaag-listing"}
    feed, crawl, sitemap = by_id["oslo-news"], by_id["porto-ambiente"], by_id["urbact-sitemap"]
    assert isinstance(feed, FeedSource) and isinstance(crawl, CrawlSource)
    assert isinstance(sitemap, SitemapSource)
    assert isinstance(by_id["denhaag-listing"], CrawlSource)
    assert by_id["denhaag-listing"].selectors.date == "//time/@datetime"
    assert str(feed.url) == FEED["url"]
    assert feed.enabled and feed.fetch_pages and feed.fetch_documents
    assert crawl.max_depth == 3
    # feeds keep items whose entries rolled off; crawls and sitemaps drop them after 3 runs
    assert feed.effective_gone_after_runs is None
    assert crawl.effective_gone_after_runs == 3 and sitemap.effective_gone_after_runs == 3


@pytest.mark.parametrize("schedule", [{"interval": {"hours": 6}},
                                      {"interval": {"days": 1, "hours": 12}},
                                      {"cron": "15 */6 * * *"}])
def test_valid_schedules_load(tmp_path, schedule):
    src = load_source_file(_write(tmp_path, "s.yaml", {**FEED, "schedule": schedule}))
    assert src.schedule.interval == schedule.get("interval")
    assert src.schedule.cron == schedule.get("cron")


def test_disabled_sources_are_loaded_but_can_be_left_out(tmp_path):
    _write(tmp_path, "on.yaml", FEED)
    _write(tmp_path, "off.yaml", {**CRAWL, "enabled": False})
    assert {s.id for s in load_sources(tmp_path)} == {"oslo-news", "porto-ambiente"}
    assert [s.id for s in load_sources(tmp_path, include_disabled=False)] == ["oslo-news"]


def test_a_single_file_can_be_given_instead_of_a_directory(tmp_path):
    path = _write(tmp_path, "only.yaml", SITEMAP)
    _write(tmp_path, "other.yaml", FEED)
    assert [s.id for s in load_sources(path)] == ["urbact-sitemap"]


# -- settings -------------------------------------------------------------------------------

def test_settings_come_from_the_environment_with_types(tmp_path):
    env = {"CCP_DATA_DIR": str(tmp_path / "data"), "CCP_SOURCES": str(tmp_path / "src.yaml"),
           "CCP_SEARCH_BACKEND": "elasticsearch", "CCP_RETRY_TIMES": "5",
           "CCP_DOWNLOAD_TIMEOUT": "12.5", "CCP_DATABASE_URL": "sqlite:////tmp/x.sqlite3",
           "CCP_WEBHOOK_URL": "http://127.0.0.1:9/hook"}
    s = Settings.from_env(env)
    assert s.data_dir == tmp_path / "data" and isinstance(s.data_dir, Path)
    assert s.sources == tmp_path / "src.yaml" and isinstance(s.sources, Path)
    assert s.search_backend == "elasticsearch"
    assert s.retry_times == 5 and isinstance(s.retry_times, int)
    assert s.download_timeout == 12.5
    assert s.catalogue_url == "sqlite:////tmp/x.sqlite3"
    assert s.webhook_url == "http://127.0.0.1:9/hook"
    assert s.index_dir == tmp_path / "data" / "index"


def test_options_override_the_environment_and_none_does_not(tmp_path):
    env = {"CCP_DATA_DIR": str(tmp_path / "from-env"), "CCP_SOURCES": str(tmp_path / "env-src"),
           "CCP_RETRY_TIMES": "5"}
    s = Settings.from_env(env, data_dir=str(tmp_path / "from-option"), sources=None,
                          retry_times=0)
    assert s.data_dir == tmp_path / "from-option"
    assert s.sources == tmp_path / "env-src"  # an option left unset does not hide the env
    assert s.retry_times == 0  # a falsy value given as an option still wins


def test_defaults_apply_when_neither_is_set_and_empty_variables_count_as_unset(tmp_path):
    s = Settings.from_env({"CCP_DATA_DIR": "", "CCP_RETRY_TIMES": ""})
    assert s.data_dir == Path("var")
    assert s.sources == Path("config") / "sources"
    assert s.search_backend == "embedded"
    assert s.retry_times == 2
    assert s.catalogue_url == f"sqlite:///{(Path('var') / 'catalogue.sqlite3').resolve()}"


def test_an_explicit_environment_ignores_the_process_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CCP_DATA_DIR", str(tmp_path / "process"))
    assert Settings.from_env({}).data_dir == Path("var")
    assert Settings.from_env().data_dir == tmp_path / "process"
