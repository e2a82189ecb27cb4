"""Deadlines and event dates as a reader of the page understands them (indexer/deadlines.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from indexer.deadlines import DateFacts, find_dates, is_all_day

BRUSSELS = ZoneInfo("Europe/Brussels")
PUBLISHED = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)


def facts(text, lang, *, title="", kind=None, structured=None, published=PUBLISHED) -> DateFacts:
    return find_dates(title, text, lang, resource_type=kind, structured=structured, published=published)


def day_in_brussels(dt: datetime | None) -> date | None:
    return dt.astimezone(BRUSSELS).date() if dt else None


@pytest.mark.parametrize("lang,text", [
    ("en", "Deadline for proposals: 15 March 2027. Results are expected in June 2027."),
    ("fr", "Date limite de dépôt des candidatures : 15 mars 2027."),
    ("de", "Einreichungsfrist: 15. März 2027"),
    ("it", "Le domande vanno presentate entro il 15/03/2027."),
    ("nl", "Aanvragen indienen kan uiterlijk 15 maart 2027."),
    ("pt", "Prazo de candidatura: 15 de março de 2027."),
    ("es", "Plazo de presentación: hasta el 15 de marzo de 2027."),
    ("pl", "Termin składania wniosków: 15 marca 2027 r."),
    ("lt", "Paraiškos priimamos iki 2027 m. kovo 15 d."),
    ("fi", "Hakemukset on jätettävä 15.3.2027 mennessä."),
    ("el", "Η προθεσμία υποβολής λήγει στις 15 Μαρτίου 2027."),
    ("cs", "Uzávěrka příjmu žádostí: 15. 3. 2027"),
    ("sv", "Sista ansökningsdag är den 15 mars 2027."),
    ("da", "Ansøgningsfrist: 15. marts 2027"),
])
def test_a_cued_deadline_is_found_in_every_language(lang, text):
    got = facts(text, lang)
    assert day_in_brussels(got.deadline) == date(2027, 3, 15)
    # a day without a time closes at the end of that day in Brussels
    assert got.deadline.astimezone(BRUSSELS).time().isoformat() == "23:59:59"


def test_time_and_zone_written_with_the_deadline_are_honoured():
    got = facts("Submission deadline 15/03/2027 17:00 CET", "en")
    assert got.deadline == datetime(2027, 3, 15, 16, 0, tzinfo=timezone.utc)
    got = facts("Termine di presentazione: 15 marzo 2027 alle ore 12:00", "it")
    assert got.deadline == datetime(2027, 3, 15, 11, 0, tzinfo=timezone.utc)  # Brussels winter time
    got = facts("Paraiškos priimamos iki 2027 m. kovo 15 d. 16 val.", "lt")
    assert got.deadline == datetime(2027, 3, 15, 14, 0, tzinfo=timezone.utc)  # Vilnius time


def test_dates_without_a_deadline_cue_are_not_a_deadline():
    text = ("Published on 3 February 2027. The city council met on 12 January 2027 and the "
            "results of the survey will be presented on 20 April 2027.")
    assert facts(text, "en", kind="news") == DateFacts(None, None, None)


def test_results_and_publication_dates_next_to_a_deadline_do_not_replace_it():
    text = ("The call was published on 10 January 2027. Deadline: 15 March 2027. "
            "Evaluation results will be announced by 30 June 2027.")
    assert day_in_brussels(facts(text, "en", kind="funding").deadline) == date(2027, 3, 15)


def test_a_past_editions_deadline_is_not_this_calls_deadline():
    text = "Last year's call closed with a deadline of 15 March 2026; 40 cities applied."
    assert facts(text, "en", kind="funding").deadline is None
    # a deadline before the page was published is over, not the deadline of this page
    assert facts("Deadline: 1 December 2026", "en").deadline is None


def test_an_extended_deadline_wins():
    text = "The deadline has been extended from 1 March 2027 to 15 March 2027."
    assert day_in_brussels(facts(text, "en", kind="funding").deadline) == date(2027, 3, 15)


def test_a_deadline_extended_in_the_next_sentence_is_the_new_date():
    text = "Einsendeschluss war ursprünglich der 15. Juni 2027; er wurde auf den 30. Juni 2027 verlängert."
    assert day_in_brussels(facts(text, "de", kind="funding").deadline) == date(2027, 6, 30)
    text = "Deadline: 1 March 2027. Because of the holidays it has been extended to 15 March 2027."
    assert day_in_brussels(facts(text, "en", kind="funding").deadline) == date(2027, 3, 15)


def test_a_reopened_call_has_its_new_deadline():
    text = ("Il termine per la presentazione delle domande, già scaduto il 31 maggio 2027, "
            "è riaperto fino al 30 giugno 2027.")
    assert day_in_brussels(facts(text, "it", kind="funding").deadline) == date(2027, 6, 30)


def test_a_list_of_days_shares_its_year_and_past_deadlines_are_none():
    text = "Die Fristen endeten am 31. Januar, am 15. März und am 30. April 2027."
    assert facts(text, "de", kind="news", published=datetime(2027, 7, 1, tzinfo=timezone.utc)).deadline is None


def test_a_calls_registration_step_is_not_its_deadline():
    text = ("Registration of teams: by 30 April 2027. Submission of solutions: 31 May 2027, 17:00 CEST. "
            "Pitch day: 24 June 2027.")
    assert day_in_brussels(facts(text, "en", kind="funding").deadline) == date(2027, 5, 31)
    text = "Registration of teams: by 30 April 2027. Pitch day: 24 June 2027."
    assert facts(text, "en", kind="funding").deadline is None


def test_a_timetable_of_key_dates_gives_the_proposals_due_date():
    text = ("Call opens: 1 September 2027. Information webinar: 15 September 2027. Proposals due: "
            "3 November 2027 at noon CET. Evaluation: November–December 2027.")
    got = facts(text, "en", kind="funding", published=datetime(2027, 9, 1, tzinfo=timezone.utc))
    assert day_in_brussels(got.deadline) == date(2027, 11, 3)


def test_a_shop_that_closes_is_no_deadline():
    text = "De kringloopwinkel sluit op 30 juni 2027 en opent op 15 juli 2027 op een nieuwe locatie."
    assert facts(text, "nl", kind="news").deadline is None
    text = "The exhibition closes on 30 June 2027."
    assert facts(text, "en", kind="news").deadline is None
    assert day_in_brussels(facts("The call closes on 30 June 2027.", "en", kind="funding").deadline) == date(2027, 6, 30)


def test_questions_deadline_is_not_the_deadline_and_registration_only_without_another():
    text = ("Questions may be sent until 20 February 2027. Deadline for applications: 15 March 2027.")
    assert day_in_brussels(facts(text, "en", kind="funding").deadline) == date(2027, 3, 15)
    text = "Registration deadline: 1 May 2027. The workshop takes place on 12 May 2027."
    got = facts(text, "en", kind="event")
    assert day_in_brussels(got.deadline) == date(2027, 5, 1)
    assert day_in_brussels(got.event_start) == date(2027, 5, 12)


def test_until_counts_only_in_a_sentence_about_applying():
    assert facts("The exhibition is open until 15 March 2027.", "en", kind="news").deadline is None
    got = facts("Applications can be submitted until 15 March 2027.", "en", kind="news")
    assert day_in_brussels(got.deadline) == date(2027, 3, 15)


def test_an_application_period_closes_at_its_end_and_until_may_follow_the_date():
    got = facts("Žádosti je možné podávat od 1. 3. 2027 do 15. 4. 2027.", "cs", kind="funding")
    assert day_in_brussels(got.deadline) == date(2027, 4, 15)
    got = facts("Avustusta voi hakea 15.4.2027 asti.", "fi", kind="funding")
    assert day_in_brussels(got.deadline) == date(2027, 4, 15)


def test_what_the_next_sentence_says_does_not_undo_a_deadline():
    text = "Ansøgningsfristen er 1. marts 2027. Forrige års frist var 1. marts 2026."
    assert day_in_brussels(facts(text, "da", kind="funding").deadline) == date(2027, 3, 1)


def test_a_year_missing_from_a_date_comes_from_the_publication_date():
    got = facts("Deadline: 15 January", "en", published=datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert day_in_brussels(got.deadline) == date(2027, 1, 15)
    # without a publication date a day without a year is left out
    assert facts("Deadline: 15 January", "en", published=None).deadline is None


@pytest.mark.parametrize("lang,text,start,end", [
    ("en", "The summit takes place on 12–14 May 2027 in Porto.", date(2027, 5, 12), date(2027, 5, 14)),
    ("de", "Die Konferenz findet vom 3.–5. Juni 2027 in Wien statt.", date(2027, 6, 3), date(2027, 6, 5)),
    ("fr", "Le forum aura lieu du 3 au 5 juin à Lyon.", date(2027, 6, 3), date(2027, 6, 5)),
    ("pl", "Konferencja odbędzie się 30 czerwca – 2 lipca 2027 r.", date(2027, 6, 30), date(2027, 7, 2)),
    ("lt", "Renginys vyks 2027 m. birželio 3 d. Kaune.", date(2027, 6, 3), date(2027, 6, 3)),
    ("el", "Το φεστιβάλ θα πραγματοποιηθεί από 21 έως 23 Μαΐου 2027.", date(2027, 5, 21), date(2027, 5, 23)),
    ("fi", "Korjausviikkoa vietetään 10.–16.5.2027 Tampereella.", date(2027, 5, 10), date(2027, 5, 16)),
    ("fr", "Du samedi 20 au dimanche 28 novembre 2027, ateliers de réparation.", date(2027, 11, 20), date(2027, 11, 28)),
])
def test_event_dates_and_ranges(lang, text, start, end):
    got = facts(text, lang, kind="event")
    assert day_in_brussels(got.event_start) == start
    assert day_in_brussels(got.event_end) == end
    assert is_all_day(got.event_start, got.event_end)


def test_an_event_with_a_time_is_not_all_day():
    got = facts("Date: 15 May 2027, 14:00–17:00 CEST", "en", kind="event")
    assert got.event_start == datetime(2027, 5, 15, 12, 0, tzinfo=timezone.utc)
    assert got.event_end == datetime(2027, 5, 15, 15, 0, tzinfo=timezone.utc)
    assert not is_all_day(got.event_start, got.event_end)


def test_news_mentioning_an_event_gets_no_event_dates_from_its_text():
    text = "The mayor will speak at the conference on 12 May 2027."
    assert facts(text, "en", kind="news").event_start is None


def test_structured_data_comes_first():
    structured = {"jsonld": [
        {"@type": "Event", "name": "Circular Days", "startDate": "2027-05-12T09:00:00+02:00",
         "endDate": "2027-05-13T17:00:00+02:00"},
        {"@type": "MonetaryGrant", "name": "Fund", "validThrough": "2027-04-30"},
    ]}
    got = facts("Deadline: 15 March 2027. Date: 3 June 2027", "en", kind="event", structured=structured)
    assert got.event_start == datetime(2027, 5, 12, 7, 0, tzinfo=timezone.utc)
    assert got.event_end == datetime(2027, 5, 13, 15, 0, tzinfo=timezone.utc)
    assert day_in_brussels(got.deadline) == date(2027, 4, 30)


def test_the_page_markups_start_and_the_event_nodes_end_go_together():
    # what the normaliser passes: the event start its markup gives, and the JSON-LD nodes
    structured = {"event_start": "2027-05-12",
                  "@graph": [{"@type": "Event", "startDate": "2027-05-12", "endDate": "2027-05-14"}]}
    got = facts("", None, kind="event", structured=structured)
    assert (day_in_brussels(got.event_start), day_in_brussels(got.event_end)) == (date(2027, 5, 12), date(2027, 5, 14))


def test_record_dates_given_as_days_keep_their_day():
    hints = {"deadline": datetime(2027, 3, 15, tzinfo=timezone.utc),
             "event_start": date(2027, 5, 12), "event_end": "2027-05-14"}
    got = facts("", None, structured=hints)
    assert day_in_brussels(got.deadline) == date(2027, 3, 15)
    assert got.deadline.astimezone(BRUSSELS).time().isoformat() == "23:59:59"
    assert (day_in_brussels(got.event_start), day_in_brussels(got.event_end)) == (date(2027, 5, 12), date(2027, 5, 14))


def test_expires_is_a_deadline_only_on_a_call():
    node = {"@type": "Article", "headline": "x", "expires": "2027-04-30"}
    assert facts("", "en", kind="news", structured={"nodes": [node]}).deadline is None
    assert day_in_brussels(facts("", "en", kind="funding", structured={"nodes": [node]}).deadline) == date(2027, 4, 30)


def test_nonsense_never_raises():
    for text in ["", "31/02/2027 deadline", "Deadline: 99 March 2027", "Deadline 2027-13-45", "x" * 50000,
                 "Deadline: 15 March 2027 17:00 UTC+99", "Date: 29 February 2027, 25:61", "1.1.– 0 Μαΐου έως"]:
        assert isinstance(facts(text, None, kind="funding"), DateFacts)
        assert isinstance(facts(text, "el", kind="event", structured={"deadline": text, "event_start": text}),
                          DateFacts)


# -- the demo's fixture web: calls and events whose dates stay past or future -----------------
def _fixture_pages(web):
    """(article, normalised resource, schema.org nodes) of every dated fixture article, fetched
    over HTTP from the running fixture web and normalised as the harvester would."""
    import urllib.request

    from lxml import html as lxml_html

    from ccp.fixtureweb.sites import SPECS, article_path
    from config.models import SOURCE_ADAPTER
    from indexer.metadata.jsonld import json_ld_nodes
    from indexer.normalise import normalise
    from indexer.resource import RawDocument

    sources = {s["url"].split("/")[2] if "url" in s else s["start_urls"][0].split("/")[2]: s
               for s in web.demo_sources()}
    out = []
    for site, content in web.content.items():
        for a in content.articles:
            if a.deadline is None and a.event_start is None:
                continue
            url = web.url(site, article_path(SPECS[site], a))
            with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - 127.0.0.1
                body, headers = resp.read(), {k.lower(): v for k, v in resp.headers.items()}
            source = SOURCE_ADAPTER.validate_python(sources[url.split("/")[2]])
            r = normalise(RawDocument(source.id, url, url, body=body, headers=headers), source)
            out.append((a, r, json_ld_nodes(lxml_html.fromstring(body))))
    return out


def test_the_fixture_webs_calls_and_events_get_their_dates_and_open_now_is_exact(web):
    pages = _fixture_pages(web)
    today = datetime.now(timezone.utc)
    assert sum(1 for a, _r, _n in pages if a.deadline) >= 4 and sum(1 for a, _r, _n in pages if a.event_start) >= 3
    langs = {a.lang for a, _r, _n in pages}
    assert {"en", "it", "lt", "pt"} <= langs
    open_now, expected_open = set(), set()
    for article, r, nodes in pages:
        got = find_dates(r.title, r.body, r.language, resource_type=r.type, structured={"jsonld": nodes},
                         published=r.published)
        assert day_in_brussels(got.deadline) == article.deadline, (article.slug, got)
        assert day_in_brussels(got.event_start) == article.event_start, (article.slug, got)
        assert day_in_brussels(got.event_end) == article.event_end, (article.slug, got)
        if article.metadata == "jsonld":  # the page's schema.org data alone gives the same
            assert find_dates("", "", None, resource_type=r.type, structured={"jsonld": nodes},
                              published=None) == got, article.slug
        if got.deadline and got.deadline > today:
            open_now.add(article.slug)
        if article.deadline and article.deadline >= today.astimezone(BRUSSELS).date():
            expected_open.add(article.slug)
    # relative to the day the fixture web is built: some calls are open, some closed
    assert open_now == expected_open and open_now
    assert {a.slug for a, _r, _n in pages if a.deadline} - open_now
