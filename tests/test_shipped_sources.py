"""The source definitions the portal ships in ``config/sources/`` are valid and complete.

They are operator data, but a broken or missing one means a partner of the Urban Agenda
Partnership on Circular Economy silently drops out of the portal, so they are checked here:
they load without problems, their ids match their file names, every partner is covered, every
address is https, and the crawl rules accept the real addresses they were written for (and
reject neighbouring ones), so a typo in a regular expression cannot go unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from config.loader import load_sources
from config.models import CrawlSource, FeedSource, SitemapSource
from indexer.urls import canonicalize_url

SOURCES_DIR = Path(__file__).resolve().parent.parent / "config" / "sources"


@pytest.fixture(scope="module")
def sources():
    # load_sources raises SourceConfigError listing every problem (and duplicate ids).
    return load_sources(SOURCES_DIR)


def _urls(src) -> list[str]:
    if isinstance(src, (FeedSource, SitemapSource)):
        return [str(src.url)]
    return [str(u) for u in src.start_urls]


def _by_id(sources):
    return {s.id: s for s in sources}


def test_every_file_loads_and_its_id_is_its_file_name(sources):
    files = sorted(p for p in SOURCES_DIR.iterdir() if p.suffix in (".yaml", ".yml"))
    assert files, "no source files shipped"
    # one source per file, and nothing in the folder that the loader would skip
    assert sorted(p.name for p in SOURCES_DIR.iterdir()) == [p.name for p in files]
    assert sorted(s.id for s in sources) == sorted(p.stem for p in files)


def test_every_file_starts_with_a_comment_saying_what_and_why():
    for path in SOURCES_DIR.glob("*.yaml"):
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert head and all(line.startswith("#") for line in head), path.name


def test_every_address_is_https(sources):
    for src in sources:
        for url in _urls(src):
            assert urlsplit(url).scheme == "https", (src.id, url)
        if isinstance(src, (CrawlSource, SitemapSource)):
            for rx in [*src.follow, *getattr(src, "items", [])]:
                assert rx.startswith("^https://"), (src.id, rx)


def test_every_source_has_a_schedule_fitting_its_kind(sources):
    for src in sources:
        assert src.schedule is not None, src.id
        if isinstance(src, FeedSource):
            assert src.schedule.interval == {"hours": 6}, src.id
        elif src.schedule.cron is not None:
            minute, hour, dom, month, dow = src.schedule.cron.split()
            assert (dom, month, dow) == ("*", "*", "*"), f"{src.id}: crawl should run daily"
        else:
            assert src.schedule.interval in ({"days": 1}, {"hours": 24}), src.id


def test_crawls_stay_shallow(sources):
    for src in sources:
        if isinstance(src, CrawlSource):
            assert src.max_depth <= 3, src.id
            assert src.items, f"{src.id}: a crawl without item rules would harvest its listings"


# Partners of the Urban Agenda Partnership on Circular Economy the portal must cover, each with
# at least one enabled source. EU-level partners are recognised by the host they publish on.
CITY_PARTNERS = {
    "Oslo": "NO",
    "Porto": "PT",
    "Prato": "IT",
    "Kaunas": "LT",
    "Den Haag": "NL",
    "Vlaanderen": "BE",  # the Flemish Region, a partner in its own right
}
EU_PARTNER_HOSTS = {
    "European Circular Economy Stakeholder Platform": "circulareconomy.europa.eu",
    "Commission circular economy pages and news": "environment.ec.europa.eu",
    "Commission urban development (REGIO)": "ec.europa.eu/regional_policy",
    "Urban Agenda for the EU": "urbanagenda.urban-initiative.eu",
    "URBACT": "urbact.eu",
    "Circular City Funding Guide (the partnership's Action 3)": "www.circularcityfundingguide.eu",
}


@pytest.mark.parametrize("city,country", sorted(CITY_PARTNERS.items()))
def test_every_partner_city_has_an_enabled_source(sources, city, country):
    mine = [s for s in sources if s.city == city and s.country == country and s.enabled]
    assert mine, f"no enabled source for {city} ({country})"


@pytest.mark.parametrize("partner,host", sorted(EU_PARTNER_HOSTS.items()))
def test_every_eu_partner_has_an_enabled_source(sources, partner, host):
    mine = [
        s for s in sources
        if s.enabled and s.country == "EU"
        and any(u.split("://", 1)[1].startswith(host) for u in _urls(s))
    ]
    assert mine, f"no enabled source for {partner} ({host})"


# Addresses a source must harvest as items and neighbouring ones it must not, listing pages
# a crawl must follow and addresses it must not walk into: data, seen in stored copies of
# these sites (shipped_sources_cases.yaml beside this module).
_CASES = yaml.safe_load(Path(__file__).with_name("shipped_sources_cases.yaml")
                        .read_text(encoding="utf-8"))
ITEM_CASES = [tuple(case) for case in _CASES["items"]]
FOLLOW_CASES = [tuple(case) for case in _CASES["follow"]]
NOT_FOLLOW_CASES = [tuple(case) for case in _CASES["not follow"]]

# Feeds whose address was corrected: the address public readers use for that host.
FEED_URLS = {
    "ec-environment-news": "https://environment.ec.europa.eu/node/92/rss_en",
}


@pytest.mark.parametrize("source_id,url,expected", ITEM_CASES)
def test_item_rules_match_the_addresses_they_were_written_for(sources, source_id, url, expected):
    src = _by_id(sources)[source_id]
    url = canonicalize_url(url)
    assert any(re.search(rx, url) for rx in src.items) is expected


@pytest.mark.parametrize("source_id,url", FOLLOW_CASES)
def test_follow_rules_reach_the_listing_pages(sources, source_id, url):
    src = _by_id(sources)[source_id]
    url = canonicalize_url(url)
    assert any(re.search(rx, url) for rx in src.follow)


@pytest.mark.parametrize("source_id,url", NOT_FOLLOW_CASES)
def test_follow_rules_keep_out_of_technical_paths(sources, source_id, url):
    src = _by_id(sources)[source_id]
    url = canonicalize_url(url)
    assert not any(re.search(rx, url) for rx in src.follow)


@pytest.mark.parametrize("source_id,url", sorted(FEED_URLS.items()))
def test_feeds_use_the_address_their_site_publishes(sources, source_id, url):
    src = _by_id(sources)[source_id]
    assert isinstance(src, FeedSource)
    assert str(src.url) == url

