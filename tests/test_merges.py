"""Duplicates a reader would call duplicates: short texts with another intro, a banner or a
paywall cut merge (containment as well as resemblance); pages of one site with different
titles do not; every merge keeps its reason and score; an operator undoes a wrong merge (the
catalogue, ``ccp resources split``, the admin) and it stays undone on the next harvest (real
HTTP harvests of pages served on 127.0.0.1); migrations 0003 → 0004 and 0004 → 0005 recompute the sketches.
SQLite, and PostgreSQL when ``CCP_TEST_DATABASE_URL`` names a server."""

from __future__ import annotations

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import insert, inspect, select

from indexer import neardup
from indexer.catalogue import (
    ADDED,
    MERGED,
    UNCHANGED,
    UPDATED,
    Catalogue,
    SplitError,
    instances_t,
    outbox_t,
    resource_bands_t,
    resources_t,
)
from indexer.normalise import content_hash
from indexer.schema import alembic_config, head_revision
from indexer.schema import upgrade as schema_upgrade

from .conftest import harvest, make_settings, write_sources
from .sitemap_site import SitemapSite
from .test_catalogue import cat, db_url, doc  # noqa: F401 - fixtures shared with it

# a 110-word city news item, as cities publish them
NEWS = [
    "The city council agreed on Tuesday to open a second repair café in the northern "
    "district, after the first one in the library fixed more than 1,200 household items "
    "in its first year.",
    "Volunteers repair bicycles, small electrical appliances, clothes and furniture every "
    "second Saturday, and residents bring broken things from all over the region.",
    "The new café will share tools with the library's tool-lending service and train young "
    "people as repair mentors, funded by the waste prevention programme.",
    "Registration for volunteers opens in March; the first session is planned for the "
    "weekend of 12 April in the old fire station on Harbour Street.",
]
INTRO = ("Porto's repair network keeps growing, and this week the city announced where its "
         "second café will open and how residents can join as volunteers or mentors.")
CREDIT = "First published by the city of Porto; republished with permission."
COOKIE = "We use cookies to improve your experience. Accept all cookies or manage settings."


def _body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


# -- detection ----------------------------------------------------------------------------------
def test_chrome_lines_are_left_out_before_hashing():
    original = _body(NEWS)
    framed = _body([CREDIT, NEWS[0], COOKIE, *NEWS[1:],
                    "Subscribe to our newsletter for more stories like this one."])
    assert neardup.words(neardup.strip_boilerplate(framed)) == neardup.words(original)
    assert neardup.compare(neardup.sketch(original), neardup.sketch(framed)).resemblance == 1
    # a long paragraph that mentions cookies is text
    long = "The bakery " + "bakes cookies and bread every morning for the school " * 4
    assert neardup.strip_boilerplate(long) == long


def test_short_copy_with_intro_and_banner_is_contained_in_the_original():
    original = _body(NEWS)
    copy = _body([INTRO, NEWS[0], COOKIE, *NEWS[1:]])
    m = neardup.compare(neardup.sketch(original), neardup.sketch(copy))  # estimated
    assert m.containment >= neardup.CONTAINMENT and neardup.in_reach(m)
    # the texts themselves: every shingle of the original is in the copy, except the two
    # across the line break where the copy put its intro
    exact = neardup.measure(original, copy)
    assert exact.resemblance < neardup.THRESHOLD  # resemblance alone misses it ...
    assert exact.containment == 1.0  # ... containment does not
    assert neardup.same_resource(exact, same_source=False)
    # inside one site, an intro a fifth of the text long is more than a line added
    assert exact.share < neardup.SAME_SOURCE_SHARE
    assert not neardup.same_resource(exact, same_source=True)


def test_a_line_of_its_own_does_not_count_against_a_copy_but_a_rewrite_does():
    """A copy on a document-sharing site, cut short, with a log-in notice in the middle: its
    own line is left out of its containment; a text with a sentence rewritten in every
    paragraph is not a copy with a line of its own."""
    original = _body([*NEWS, *NEWS[::-1]])
    notice = "Dieses Dokument wurde von einem Nutzer hochgeladen. Melden Sie sich an, um weiterzulesen."
    copy = _body([NEWS[0], notice, *NEWS[1:3]])
    plain = neardup.measure(original, _body(NEWS[:3]))
    noticed = neardup.measure(original, copy)
    assert plain.containment == noticed.containment == 1.0
    rewritten = _body([p.replace(" and ", " as well as ", 1) for p in NEWS[:3]])
    assert neardup.measure(original, rewritten).containment < 0.9
    # more than a fifth of the text in lines of its own: the texts differ, nothing is left out
    long_notice = _body([NEWS[0], notice, "Uploaded by a user. " + INTRO, INTRO[::-1]])
    assert neardup.measure(original, long_notice).containment < 0.7


def test_same_site_copy_with_a_press_release_line_merges_and_an_update_does_not(cat):
    """One site serving a news item at two URLs, one with a "press release" line on top, is
    one resource; the same site's next item under the same title that rewrote a paragraph is
    another."""
    title = "Second repair café opens in the north"
    first = doc("porto", "https://porto.example/news/repair-cafe", _body([title, *NEWS]), title=title)
    assert cat.ingest(first) == ADDED
    press = doc("porto", "https://porto.example/press/2024/repair-cafe",
                _body([title, "Press release", *NEWS]), title=title)
    assert cat.ingest(press) == MERGED
    assert cat.merge_reasons(first.id)[press.url].reason == "near"
    later = doc("porto", "https://porto.example/news/repair-cafe-2",
                _body([title, NEWS[0], NEWS[1].replace("every second Saturday", "every Sunday")
                       .replace("bicycles", "phones"), *NEWS[2:]]), title=title)
    assert cat.ingest(later) == ADDED


def test_pdf_without_diacritics_and_its_web_copy_merge(cat):
    """A report as a PDF set in a font without "ą", "ł" or "ę" (the letters print bare), and
    the first half of it on a document-sharing site, with the diacritics."""
    text = [
        "Niniejsza analiza obejmuje rok kalendarzowy 2023 i została sporządzona w celu "
        "weryfikacji możliwości technicznych i organizacyjnych gminy w zakresie gospodarowania "
        "odpadami komunalnymi.",
        "Dokument przedstawia potrzeby inwestycyjne, koszty poniesione w związku z odbieraniem, "
        "odzyskiem, recyklingiem i unieszkodliwianiem odpadów oraz liczbę mieszkańców.",
        "W 2023 roku z terenu miasta odebrano łącznie 98 tysięcy ton odpadów komunalnych, o 3 "
        "procent mniej niż rok wcześniej; udział odpadów zbieranych selektywnie wzrósł do 41 "
        "procent.",
        "Największy przyrost odnotowano we frakcji bioodpadów, po objęciu zbiórką kolejnych "
        "osiedli zabudowy wielorodzinnej w dzielnicach Chylonia, Cisowa i Obłuże.",
    ]
    bare = str.maketrans("ąćęłńśźżĄĆĘŁŃŚŹŻ", "acelnszzACELNSZZ")
    pdf = doc("gdynia", "https://gdynia.example/dokumenty/analiza-2023.pdf",
              _body([t.translate(bare) for t in text + text[::-1]]))
    assert cat.ingest(pdf) == ADDED
    web = doc("docshare", "https://docshare.example/doc/551902/analiza-2023",
              _body([text[0], "Preview ends here for free users.", *text[1:]]))
    assert cat.ingest(web) == MERGED
    why = cat.merge_reasons(pdf.id)[web.url]
    assert why.reason == "near" and why.containment == 1.0


def test_paywall_cut_is_contained_and_an_unrelated_text_is_not():
    original = _body(NEWS)
    cut = _body(NEWS[:2] + ["Subscribe to read the rest of this article."])
    assert "Subscribe" not in neardup.strip_boilerplate(cut)
    m = neardup.compare(neardup.sketch(original), neardup.sketch(cut))
    assert m.containment >= neardup.CONTAINMENT and m.resemblance < 0.7
    other = _body([p.replace("repair", "budget").replace("café", "plan") for p in NEWS[::-1]])
    assert not neardup.same_resource(
        neardup.compare(neardup.sketch(original), neardup.sketch(other)), same_source=False)


def test_a_teaser_inside_a_long_listing_is_not_a_copy():
    """A listing page that shows this news item's first paragraph among many others contains
    it, but the item is a small part of it: no merge either way."""
    fillers = [f"Item {n}: the city {w} its {x} programme for {n} districts this spring."
               for n, (w, x) in enumerate([("renews", "parks"), ("starts", "cycling"),
                                           ("ends", "parking"), ("extends", "school meals"),
                                           ("reviews", "street lighting"), ("funds", "sports"),
                                           ("plans", "library"), ("opens", "museum")] * 3)]
    listing = _body([NEWS[0], NEWS[1], *fillers])
    m = neardup.compare(neardup.sketch(_body(NEWS[:2])), neardup.sketch(listing))
    assert m.containment > 0.7 and m.share < neardup.MIN_CONTAINED_SHARE  # estimated
    assert not neardup.same_resource(m, same_source=False)


def test_copy_from_another_source_merges_with_its_reason_and_score(cat):
    original = doc("porto", "https://porto.example/news/repair-cafe", _body(NEWS))
    copy = doc("docshare", "https://docshare.example/doc/1/repair-cafe",
               _body([INTRO, NEWS[0], COOKIE, *NEWS[1:]]), title="Repair café opens")
    same = doc("porto-www", "https://www.porto.example/news/repair-cafe", _body(NEWS))
    assert cat.ingest(original) == ADDED
    assert cat.ingest(copy) == MERGED
    assert cat.ingest(same) == MERGED
    reasons = cat.merge_reasons(original.id)
    assert original.url not in reasons  # the first instance started the resource
    near, text = reasons[copy.url], reasons[same.url]
    assert near.reason == "near" and near.matched_url == original.url
    assert near.containment >= 0.9 and near.resemblance < 0.8
    assert near.label.startswith(f"near-duplicate of {original.url}: resemblance 0.")
    assert text.reason == "text" and text.label == f"same text as {original.url}"


def test_pages_of_one_site_with_different_titles_stay_apart(cat):
    """Two pages of one listing template with the same items, the same call text for
    another year: the site chose to publish them as two pages."""
    tag_a = doc("city", "https://city.example/tag/reuse", _body(NEWS), title="reuse")
    tag_b = doc("city", "https://city.example/tag/events", _body(NEWS), title="events")
    assert cat.ingest(tag_a) == ADDED
    assert cat.ingest(tag_b) == ADDED  # same text, another title: not the same page
    call = [p.replace("2024", "2025") for p in NEWS]
    assert cat.ingest(doc("city", "https://city.example/calls/2024", _body(NEWS[1:]),
                          title="Call 2024")) == ADDED
    assert cat.ingest(doc("city", "https://city.example/calls/2025", _body(call[1:]),
                          title="Call 2025")) == ADDED
    # the same page at an old and a new path (same title, same text) is one resource
    assert cat.ingest(doc("city", "https://city.example/old/tag/reuse", _body(NEWS),
                          title="reuse")) == MERGED
    assert cat.resource_count() == 4


# -- undoing a merge --------------------------------------------------------------------------
def test_split_makes_its_own_resource_and_stays_undone(cat):
    original = doc("porto", "https://porto.example/news/repair-cafe", _body(NEWS))
    copy = doc("docshare", "https://docshare.example/doc/1/repair-cafe",
               _body([INTRO, *NEWS]))
    assert cat.ingest(original) == ADDED and cat.ingest(copy) == MERGED
    with pytest.raises(SplitError, match="has no instance at https://nowhere"):
        cat.split_instance(original.id, "https://nowhere.example/")
    with pytest.raises(SplitError, match="there is no resource nope"):
        cat.split_instance("nope", copy.url)
    pending = cat.outbox_status()[0]
    new_id = cat.split_instance(original.id, copy.url, by="tester")
    assert cat.outbox_status()[0] == pending + 2  # both are reindexed
    assert [i.url for i in cat.get_resource(original.id).instances] == [original.url]
    assert [i.url for i in cat.get_resource(new_id).instances] == [copy.url]
    with pytest.raises(SplitError, match="only instance"):
        cat.split_instance(new_id, copy.url)
    # the next harvest gives the split-off instance its own text, and it stays apart
    assert cat.ingest(copy) == UPDATED
    assert cat.get_resource(new_id).body == copy.body
    assert cat.ingest(copy) == UNCHANGED
    # even when its instance is removed and the page is found again
    assert cat.delete_resource(new_id)
    assert cat.ingest(copy) == ADDED
    assert cat.resource_count() == 2
    assert cat.find_duplicate(doc("x", "https://x.example/other-copy", copy.body)) is not None


def test_splitting_the_first_instance_moves_the_text_with_it(cat):
    original = doc("porto", "https://porto.example/news/repair-cafe", _body(NEWS))
    copy = doc("docshare", "https://docshare.example/doc/1/repair-cafe", _body([INTRO, *NEWS]))
    cat.ingest(original), cat.ingest(copy)
    new_id = cat.split_instance(original.id, original.url)
    moved = cat.get_resource(new_id)
    assert moved.url == original.url and moved.body == original.body
    kept = cat.get_resource(original.id)
    assert kept.url == copy.url and [i.url for i in kept.instances] == [copy.url]
    with cat.engine.connect() as c:  # the signature left with the text
        assert {r[0] for r in c.execute(select(resource_bands_t.c.resource_id))} == {new_id}
    assert cat.ingest(copy) == UPDATED  # fetched afresh: the copy's own text
    assert cat.get_resource(original.id).body == copy.body


# -- migration 0003 -> 0004 ---------------------------------------------------------------------
def test_upgrade_from_0003_recomputes_the_sketches(db_url):
    command.upgrade(alembic_config(db_url), "0003")
    long_text, short = _body(NEWS * 2), "A short notice."
    old = Catalogue(db_url)
    with old.engine.begin() as c:
        for rid, url, body in (("ra", "https://a.example/1", long_text),
                               ("rs", "https://s.example/2", short)):
            c.execute(insert(resources_t).values(
                id=rid, title=rid, url=url, body=body, summary="", content_hash=content_hash(body),
                themes=[], places=[], authors=[], minhash=b"stale"))
            c.execute(insert(instances_t).values(resource_id=rid, source_id="old", url=url,
                                                 status="live", missed_runs=0))
    schema_upgrade(old.engine, db_url)
    old.close()
    cat = Catalogue(db_url)
    cat.create_all()
    sk = neardup.sketch(long_text)
    with cat.engine.connect() as c:
        rows = {r[0]: r[1:] for r in c.execute(
            select(resources_t.c.id, resources_t.c.minhash, resources_t.c.shingles))}
        bands = {(r[0], r[1]) for r in c.execute(
            select(resource_bands_t.c.band, resource_bands_t.c.key)
            .where(resource_bands_t.c.resource_id == "ra"))}
    assert rows["ra"] == (neardup.to_bytes(sk.sig), sk.size)
    assert rows["rs"] == (None, None)
    assert bands == set(neardup.band_keys(sk.sig))
    copy = doc("new", "https://c.example/copy", _body([INTRO, *NEWS, *NEWS]))
    assert cat.ingest(copy) == MERGED
    assert cat.merge_reasons("ra")[copy.url].reason == "near"
    cat.close()
    command.downgrade(alembic_config(db_url), "0003")
    back = Catalogue(db_url)
    with back.engine.connect() as c:
        insp = inspect(c)
        assert not {"merges", "merge_splits"} & set(insp.get_table_names())
        assert "shingles" not in {col["name"] for col in insp.get_columns("resources")}
    back.close()
    assert head_revision() >= "0005"  # the code still wants its own head after a downgrade


# -- migration 0004 -> 0005 ---------------------------------------------------------------------
def test_upgrade_from_0004_recomputes_the_sketches_over_words_without_diacritics(db_url):
    command.upgrade(alembic_config(db_url), "0004")
    text = _body([p.replace("repair", "réparation").replace("city", "miasto łódzkie")
                  for p in NEWS * 2])
    old = Catalogue(db_url)
    with old.engine.begin() as c:
        c.execute(insert(resources_t).values(
            id="ra", title="ra", url="https://a.example/1", body=text, summary="",
            content_hash=content_hash(text), themes=[], places=[], authors=[], minhash=b"stale"))
    schema_upgrade(old.engine, db_url)
    old.close()
    cat = Catalogue(db_url)
    sk = neardup.sketch(text)
    with cat.engine.connect() as c:
        row = c.execute(select(resources_t.c.minhash, resources_t.c.shingles)).one()
        bands = {(r[0], r[1]) for r in c.execute(
            select(resource_bands_t.c.band, resource_bands_t.c.key))}
    assert tuple(row) == (neardup.to_bytes(sk.sig), sk.size)
    assert bands == set(neardup.band_keys(sk.sig))
    cat.close()
    command.downgrade(alembic_config(db_url), "0004")
    assert head_revision() >= "0005"  # the code still wants its own head after a downgrade


# -- real harvests, the command line and the admin ---------------------------------------------
def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"</head><body><nav><a href='/'>Home</a></nav><main><article><h1>{title}</h1>"
            f"{body}</article></main><footer>City of Porto</footer></body></html>").encode()


@pytest.fixture()
def sites():
    city = SitemapSite({"/news/repair-cafe": _page("Second repair café opens", NEWS)})
    share = SitemapSite({"/doc/1/repair-cafe": _page("Repair café (shared document)",
                                               [INTRO, NEWS[0], COOKIE, *NEWS[1:]])})
    yield city, share
    city.close(), share.close()


def _harvested(tmp_path, city, share):
    settings = make_settings(tmp_path / "data")
    write_sources(tmp_path / "data" / "sources", [
        {"id": "porto", "name": "Porto", "type": "sitemap", "url": city.base + "/sitemap.xml"},
        {"id": "docshare", "name": "Docshare", "type": "sitemap",
         "url": share.base + "/sitemap.xml"}])
    assert harvest(settings, ["porto"]).status == "finished"
    assert harvest(settings, ["docshare"]).status == "finished"
    return settings


def test_harvested_copy_is_merged_split_by_the_command_and_stays_apart(tmp_path, sites):
    from ccp.cli import main

    city, share = sites
    settings = _harvested(tmp_path, city, share)
    cat = Catalogue(settings.catalogue_url)
    (rid,) = [r.id for r in cat.iter_resources()]
    copy_url = share.base + "/doc/1/repair-cafe"
    why = cat.merge_reasons(rid)[copy_url]
    assert why.reason == "near" and why.containment >= 0.9
    # the public resource page says why the copy is one of its places
    from search_ui import create_app

    page = create_app({"TESTING": True}, settings=settings).test_client().get(f"/resource/{rid}")
    shown_page = page.get_data(as_text=True)
    assert page.status_code == 200 and "Why it is here" in shown_page
    assert "near-duplicate of" in shown_page and "containment" in shown_page

    env = {"CCP_DATA_DIR": str(tmp_path / "data"), "CCP_SOURCES": str(settings.sources),
           "CCP_ALLOWED_PRIVATE_ADDRESSES": "127.0.0.0/8"}
    runner = CliRunner()
    shown = runner.invoke(main, ["resources", "show", rid], env=env)
    assert shown.exit_code == 0 and "near-duplicate of" in shown.output
    bad = runner.invoke(main, ["resources", "split", rid, "https://nowhere.example/"], env=env)
    assert bad.exit_code == 2 and "has no instance at https://nowhere.example/" in bad.output
    done = runner.invoke(main, ["resources", "split", rid, copy_url], env=env)
    assert done.exit_code == 0, done.output
    assert "later harvests keep them apart" in done.output
    assert cat.outbox_status()[0] == 0  # both reindexed by the command

    for _ in range(2):  # the next harvests keep them apart; the copy gets its own text
        assert harvest(settings).status == "finished"
        assert cat.resource_count() == 2
    split_off = next(r for r in cat.iter_resources() if r.id != rid)
    assert [i.url for i in split_off.instances] == [copy_url]
    assert split_off.title == "Repair café (shared document)"
    assert INTRO.split(",")[0] in split_off.body
    cat.close()


def test_admin_splits_with_csrf(tmp_path, sites, monkeypatch):
    from search_ui import create_app

    from .test_admin import FAST_HASH, USER, csrf_from, login, text_of

    city, share = sites
    settings = _harvested(tmp_path, city, share)
    cat = Catalogue(settings.catalogue_url)
    (rid,) = [r.id for r in cat.iter_resources()]
    copy_url = share.base + "/doc/1/repair-cafe"
    app = create_app({"TESTING": True, "CCP_ADMIN_USER": USER,
                      "CCP_ADMIN_PASSWORD_HASH": FAST_HASH}, settings=settings, catalogue=cat)
    client = app.test_client()
    assert login(client).status_code == 303
    page = client.get(f"/admin/resources/{rid}")
    assert page.status_code == 200
    assert f"near-duplicate of {city.base}/news/repair-cafe: resemblance" in text_of(page)
    forged = client.post(f"/admin/resources/{rid}/split", data={"url": copy_url})
    assert forged.status_code == 400 and cat.resource_count() == 1
    token = csrf_from(page)
    done = client.post(f"/admin/resources/{rid}/split",
                       data={"url": copy_url, "csrf_token": token})
    assert done.status_code == 303
    after = client.get(done.location)
    assert "is now a resource of its own" in text_of(after)
    assert cat.resource_count() == 2
    with cat.engine.connect() as c:  # both go to the search index
        queued = {r[0] for r in c.execute(select(outbox_t.c.resource_id))}
    assert {r.id for r in cat.iter_resources()} <= queued
    assert harvest(settings).status == "finished" and cat.resource_count() == 2
    cat.close()
