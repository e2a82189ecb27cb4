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


# Real addresses (seen in stored copies of these sites) that a source must harvest as items,
# and neighbouring addresses it must not. The crawler matches the rules against the canonical
# spelling of each link (query arguments sorted, tracking parameters dropped), so do the tests.
ITEM_CASES = [
    ("ecesp-good-practices",
     "https://circulareconomy.europa.eu/platform/en/good-practices/"
     "pharmaswap-sharing-marketplace-reduce-medication-waste", True),
    ("ecesp-good-practices",
     "https://circulareconomy.europa.eu/platform/fr/good-practices/"
     "pharmaswap-sharing-marketplace-reduce-medication-waste", False),
    ("ecesp-good-practices",
     "https://circulareconomy.europa.eu/platform/en/good-practices?page=3", False),
    ("ecesp-knowledge",
     "https://circulareconomy.europa.eu/platform/en/knowledge/"
     "completing-picture-how-circular-economy-tackles-climate-change", True),
    ("ec-environment-circular-economy",
     "https://environment.ec.europa.eu/topics/circular-economy/"
     "ecodesign-sustainable-products-regulation_en", True),
    ("ec-environment-circular-economy",
     "https://environment.ec.europa.eu/topics/circular-economy_en", True),
    ("ec-environment-circular-economy",
     "https://environment.ec.europa.eu/topics/nature-and-biodiversity_en", False),
    ("ec-regio-urban-development",
     "https://ec.europa.eu/regional_policy/whats-new/newsroom/"
     "13-01-2026-eu60-million-european-urban-initiative-call-for-proposals_en", True),
    ("ec-regio-urban-development",
     "https://ec.europa.eu/regional_policy/whats-new/newsroom/"
     "18-09-2025-oecd-report-charts-smarter-path-for-shrinking-regions_en", False),
    ("urban-agenda-circular-economy",
     "https://urbanagenda.urban-initiative.eu/library/"
     "final-report-urban-agenda-eu-partnership-circular-economy", True),
    ("urbact-circular-networks", "https://urbact.eu/networks/resourceful-cities", True),
    ("urbact-circular-networks",
     "https://urbact.eu/whats-new/stories/four-urbact-good-practices-circular-economy-cities-europe",
     True),
    ("urbact-whats-new",
     "https://urbact.eu/whats-new/stories/four-urbact-good-practices-circular-economy-cities-europe",
     True),
    ("urbact-whats-new",
     "https://urbact.eu/whats-new/articles/vienna-calling-mobility-lessons-city-built-around-people",
     False),
    ("oslo-miljo-og-klima", "https://www.oslo.kommune.no/miljo-og-klima/klima-og-energistrategi/",
     True),
    ("oslo-miljo-og-klima", "https://www.oslo.kommune.no/skole-og-utdanning/", False),
    ("porto-ambiente-economia-circular",
     "https://ambiente.cm-porto.pt/economia-circular/projetos_economia", True),
    ("porto-ambiente-economia-circular",
     "https://ambiente.cm-porto.pt/estrutura-verde/parques-jardins", False),
    ("prato-circular-city", "https://www.pratocircularcity.it/it/about-pcc/pagina1584.html", True),
    ("prato-circular-city", "https://www.pratocircularcity.it/en/about-pcc/pagina1584.html", False),
    ("prato-comune-buone-prassi-pcc",
     "https://www.comune.prato.it/it/vivere-il-comune/buoneprassi/pcc/archivio42_0_74.html", True),
    ("denhaag-grondstoffen-duurzaamheid",
     "https://www.denhaag.nl/nl/in-de-stad/natuur-en-milieu/duurzaamheid/"
     "grondstoffentransitie-minder-afval-meer-grondstoffen.htm", True),
    ("denhaag-grondstoffen-duurzaamheid",
     "https://www.denhaag.nl/nl/natuur-en-milieu/duurzaamheid/"
     "grondstoffentransitie-minder-afval-meer-grondstoffen/", True),
    ("denhaag-grondstoffen-duurzaamheid",
     "https://www.denhaag.nl/nl/in-de-stad/nieuws/wet-open-overheid-woo.htm", False),
    # Porto's articles are /pt/noticia/<slug> (singular); only circular topics are kept. The
    # circular slug is the one an article had on the previous site, in today's address shape.
    ("porto-noticias",
     "https://www.porto.pt/pt/noticia/porto-entra-na-rede-que-acelera-a-economia-circular", True),
    ("porto-noticias",
     "https://www.porto.pt/pt/noticia/"
     "paineis-de-mensagem-variavel-mostram-ocupacao-dos-parques-de-estacionamento", False),
    ("porto-noticias",
     "https://www.porto.pt/noticias/porto-entra-na-rede-que-acelera-a-economia-circular", False),
    # Vlaanderen Circulair's case pages, Dutch interface only (the English one is a duplicate),
    # on either spelling of the host; its blog and call pages are not cases.
    ("vlaanderen-circulair-cases",
     "https://vlaanderen-circulair.be/nl/cases/detail/grensland-is-circulair", True),
    ("vlaanderen-circulair-cases",
     "https://www.vlaanderen-circulair.be/nl/cases/detail/grensland-is-circulair", True),
    ("vlaanderen-circulair-cases",
     "https://www.vlaanderen-circulair.be/en/cases/detail/grensland-is-circular", False),
    ("vlaanderen-circulair-cases", "https://vlaanderen-circulair.be/nl/cases?page=2", False),
    ("vlaanderen-circulair-cases",
     "https://vlaanderen-circulair.be/nl/blog/detail-2/"
     "zuhal-demir-maakt-2-8-miljoen-euro-vrij-om-vlaanderen-te-laten-versnellen-in-circulair-bouwen",
     False),
    ("vlaanderen-circulair-cases",
     "https://vlaanderen-circulair.be/nl/aan-de-slag/gerichte-call-bouw-2020", False),
    # OVAM: circular topics only, not soil or asbestos.
    ("ovam-nieuws-circulair", "https://ovam.vlaanderen.be/vlaanderen-circulair2", True),
    ("ovam-nieuws-circulair", "https://ovam.vlaanderen.be/faq-wetgeving-cateringmateriaal", True),
    ("ovam-nieuws-circulair", "https://ovam.vlaanderen.be/asbestattest", False),
    ("ovam-nieuws-circulair", "https://ovam.vlaanderen.be/nieuws", False),
    # The Circular City Funding Guide: every content page, no WordPress plumbing.
    ("circular-city-funding-guide",
     "https://www.circularcityfundingguide.eu/how-to-create-programmes-financing-circular-economy-projects/",
     True),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/", False),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/?p=212", False),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/feed/", False),
    ("circular-city-funding-guide",
     "https://www.circularcityfundingguide.eu/how-to-create-programmes-financing-circular-economy-projects/feed/",
     False),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/wp-login.php", False),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/tag/loans/", False),
]

# Listing pages (pagination) a crawl must follow.
FOLLOW_CASES = [
    ("ecesp-good-practices", "https://circulareconomy.europa.eu/platform/en/good-practices?page=3"),
    # a filtered listing: once canonical, "page" is no longer the last argument
    ("ecesp-strategies",
     "https://circulareconomy.europa.eu/platform/en/strategies"
     "?key_area=All&sector=All&country=All&scope=272&title=&page=1"),
    ("urbact-whats-new", "https://urbact.eu/whats-new?page=9"),
    ("urbact-whats-new", "https://urbact.eu/whats-new?city=All&page=521&topic=All"),
    ("urbact-circular-networks", "https://urbact.eu/whats-new/networks-cities?network=4638&page=2"),
    ("urban-agenda-circular-economy",
     "https://urbanagenda.urban-initiative.eu/partnerships/circular-economy"),
    ("vlaanderen-circulair-cases", "https://vlaanderen-circulair.be/nl/cases"),
    ("vlaanderen-circulair-cases", "https://vlaanderen-circulair.be/nl/cases?page=2"),
    ("ovam-nieuws-circulair", "https://ovam.vlaanderen.be/nieuws"),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/"),
    ("circular-city-funding-guide",
     "https://www.circularcityfundingguide.eu/how-to-create-programmes-financing-circular-economy-projects/"),
]

# Addresses a crawl must not walk into: admin and API paths, feeds, files.
NOT_FOLLOW_CASES = [
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/wp-admin/"),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/wp-json/wp/v2/posts"),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/feed/"),
    ("circular-city-funding-guide",
     "https://www.circularcityfundingguide.eu/wp-content/uploads/2020/01/logo.png"),
    ("circular-city-funding-guide", "https://www.circularcityfundingguide.eu/?s=loans"),
    ("vlaanderen-circulair-cases", "https://vlaanderen-circulair.be/en/cases"),
]

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

