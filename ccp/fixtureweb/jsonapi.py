"""A calls-for-proposals API in the style of the EU Funding & Tenders search, and a project
list in the style of Kohesio, on 127.0.0.1 (port 0).

``/search-api/rest/search`` (GET, or POST with a JSON body) answers
``{"totalResults", "pageNumber", "pageSize", "results": [...]}``, paged by ``pageNumber`` and
``pageSize`` (≤ 100), filtered by ``text`` (words) and ``modifiedSince`` (an ISO date or
date-time), with an ETag and If-None-Match. Each result carries ``reference``, ``url``,
``title``, ``summary`` and a ``metadata`` object of one-element lists as the real search does
(``deadlineDate``, ``startDate``, ``endDate``, ``language``, ``type``, ``status``,
``modified``). Deadlines are relative to today (some passed, some to come; a two-stage call
has two). ``/kohesio/projects`` pages by cursor: ``{"data": [...], "next_cursor": …}``.
Every record's page (``/calls/<id>.html``, ``/projects/<id>.html``) is served too. Tests
change the calls between runs with :meth:`CallsApi.modify`, :meth:`CallsApi.remove` and
:meth:`CallsApi.add`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .apiserver import Answer, ApiServer, json_bytes
from .ckan import html_page

__all__ = ["CALLS", "PROJECTS", "CallsApi"]

# (id, language, type, title, summary, deadlines as days from today (None: no deadline;
# a date-only deadline is written "D:<days>"), event (start, end) days from today or None,
# paragraphs of the call's page)
CALLS: list[tuple] = [
    ("LIFE-2026-CIRC-01", "en", "Call for proposals",
     "Circular economy and quality of life: standard action projects",
     "Projects that close material loops in cities: reuse of construction products, "
     "repair networks and separate collection of bio-waste.",
     [75], None,
     ["This call funds standard action projects that help cities close material loops, "
      "from the reuse of construction products to neighbourhood repair networks.",
      "Applicants must show measurable reductions of municipal waste and of primary raw "
      "material use, and a plan to continue the activities after the project.",
      "Consortia of local authorities, social enterprises and research centres are "
      "encouraged; the maximum grant covers sixty per cent of eligible costs."]),
    ("HORIZON-CL6-2026-CIRCBIO-03", "en", "Call for proposals",
     "Circular cities and regions: systemic demonstrators",
     "Large demonstrators of circular systems in urban regions, two-stage submission.",
     [-20, 140], None,
     ["Systemic demonstrators show how a whole urban region can organise circular value "
      "chains for food, textiles, plastics and construction at the same time.",
      "The call has two stages: a short outline first, then a full proposal for the "
      "outlines that pass the first evaluation.",
      "Projects are expected to involve citizens, to publish open data on material flows "
      "and to share their results with other cities through replication events."]),
    ("SMP-COSME-2025-CLUSTERS", "fr", "Appel à propositions",
     "Réseaux d'entreprises pour l'économie circulaire dans les villes",
     "Soutien aux réseaux d'entreprises qui développent la réparation, le réemploi et la "
     "location de biens dans les villes européennes.",
     [-45], None,
     ["Cet appel soutient les réseaux d'entreprises qui développent la réparation, le "
      "réemploi et la location de biens dans les villes européennes.",
      "Les projets doivent associer au moins trois États membres et démontrer la création "
      "d'emplois locaux dans les services circulaires.",
      "Le soutien financier prend la forme d'une subvention forfaitaire versée en deux "
      "tranches, après validation des rapports intermédiaires."]),
    ("INTERREG-EUROPE-2026-5", "de", "Aufruf zur Einreichung von Vorschlägen",
     "Kreislaufwirtschaft in Städten: interregionale Zusammenarbeit",
     "Interregionale Projekte zur Kreislaufwirtschaft in Städten und Regionen, fünfte "
     "Ausschreibung des Programms.",
     ["D:30"], None,
     ["Die fünfte Ausschreibung des Programms fördert interregionale Projekte, in denen "
      "Städte und Regionen ihre Strategien zur Kreislaufwirtschaft verbessern.",
      "Gefördert werden der Austausch von Erfahrungen, Studienbesuche und Aktionspläne, "
      "die in den beteiligten Regionen umgesetzt werden.",
      "Antragsberechtigt sind öffentliche Stellen und Einrichtungen des öffentlichen "
      "Rechts aus allen Mitgliedstaaten, Norwegen und der Schweiz."]),
    ("EUI-IA-2025-04", "it", "Invito a presentare proposte",
     "Azioni urbane innovative: economia circolare e transizione verde",
     "Progetti pilota innovativi delle città sul tema dell'economia circolare.",
     [-200], None,
     ["L'invito finanzia progetti pilota innovativi delle città che sperimentano soluzioni "
      "di economia circolare non ancora adottate altrove.",
      "Ogni progetto può ricevere fino a cinque milioni di euro e deve durare al massimo "
      "tre anni e mezzo, compresa la fase di chiusura.",
      "Le città candidate devono coinvolgere partner locali e dimostrare come i risultati "
      "potranno essere trasferiti ad altre aree urbane europee."]),
    ("CEF-2026-URBAN-WASTE", "pl", "Zaproszenie do składania wniosków",
     "Gospodarka o obiegu zamkniętym w miastach: instalacje do recyklingu",
     "Dofinansowanie miejskich instalacji do sortowania i recyklingu odpadów.",
     [200], None,
     ["Nabór wspiera miasta, które budują lub modernizują instalacje do sortowania i "
      "recyklingu odpadów komunalnych.",
      "Wnioskodawcy muszą wykazać, że inwestycja zwiększy udział odpadów przygotowanych "
      "do ponownego użycia i recyklingu.",
      "Dofinansowanie obejmuje do połowy kosztów kwalifikowanych, a projekty muszą zostać "
      "zakończone w ciągu czterech lat."]),
    ("INFO-DAY-CIRC-2026", "en", "Event",
     "Info day: funding for circular cities",
     "An online info day presenting the open calls for circular cities and regions.",
     None, (45, 46),
     ["The info day presents the open calls that fund circular economy projects of cities "
      "and regions, with time for questions from applicants.",
      "Programme officers explain the eligibility rules, the evaluation criteria and the "
      "most common mistakes seen in earlier proposals.",
      "The second day is reserved for partner search sessions where cities meet companies "
      "and research centres looking for consortia."]),
    ("NL-CIRCULAIR-2026-02", "nl", "Oproep tot het indienen van voorstellen",
     "Circulaire ambachtscentra in wijken",
     "Subsidie voor wijkcentra waar bewoners spullen laten repareren en materialen delen.",
     [10], None,
     ["Deze oproep ondersteunt circulaire ambachtscentra in wijken, waar bewoners spullen "
      "laten repareren en gereedschap en materialen met elkaar delen.",
      "Gemeenten en maatschappelijke organisaties kunnen samen een aanvraag indienen voor "
      "de inrichting en de eerste twee jaar exploitatie.",
      "Aanvragen worden beoordeeld op het aantal bereikte bewoners, de vermeden afvalstromen "
      "en de samenwerking met lokale ondernemers."]),
]

# (id, title, summary, paragraphs) — projects with a page each, paged by cursor
PROJECTS: list[tuple] = [
    (f"PRJ-{n:03d}", title, summary, [summary, f"{title}: " + detail, closing])
    for n, (title, summary, detail, closing) in enumerate([
        ("Repair hubs in Bragança", "Three repair hubs opened in the municipal markets.",
         "the hubs repair small appliances, clothes and bicycles for residents.",
         "The project trained twelve repair technicians among unemployed young people."),
        ("Deposit scheme for reusable cups in Ghent", "Reusable cups at festivals and events.",
         "a deposit scheme replaced single-use cups at all events on public land.",
         "Washing is done by a social enterprise that employs people far from work."),
        ("Construction material bank in Tartu", "A bank of reclaimed construction materials.",
         "materials from demolished school buildings are catalogued and sold again.",
         "The bank reports the tonnes of material and carbon emissions it avoided."),
        ("Food waste in school canteens of Košice", "Measuring and cutting canteen waste.",
         "kitchens weigh leftovers daily and adjust menus with the pupils.",
         "Surplus meals go to a community fridge run by volunteers."),
        ("Textile sorting plant in Łódź", "A plant that sorts used textiles by fibre.",
         "near-infrared scanners sort textiles so that fibres can be recycled.",
         "The plant works with local clothing brands on recycled yarns."),
    ], start=1)
]


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _stamp(days: int, hour: int = 17) -> str:
    d = _today() + timedelta(days=days)
    return f"{d.isoformat()}T{hour:02d}:00:00.000+0000"


class CallsApi(ApiServer):
    """The calls API and the project list, with the pages they link to."""

    title = "Funding and tenders search (fixture)"

    def __init__(self, calls: list[tuple] | None = None):
        super().__init__()
        self.calls: dict[str, dict[str, Any]] = {}
        for c in calls if calls is not None else CALLS:
            self.add(c, modified_days=-60)
        for pid, title, summary, paragraphs in PROJECTS:
            self.documents[f"/projects/{pid}.html"] = (
                html_page(title, paragraphs, "en"), "text/html; charset=utf-8",
                datetime.now(timezone.utc))

    def add(self, c: tuple, modified_days: int = 0) -> dict[str, Any]:
        cid, lang, kind, title, summary, deadlines, event, paragraphs = c
        deadline_values = []
        for d in deadlines or []:
            if isinstance(d, str) and d.startswith("D:"):
                deadline_values.append((_today() + timedelta(days=int(d[2:]))).isoformat())
            else:
                deadline_values.append(_stamp(d))
        meta: dict[str, Any] = {
            "identifier": [cid], "title": [title], "language": [lang], "type": [kind],
            "deadlineDate": deadline_values,
            "status": ["Open" if any(isinstance(d, str) or d >= 0 for d in deadlines or [0])
                       else "Closed"],
            "modified": [(datetime.now(timezone.utc) + timedelta(days=modified_days))
                         .strftime("%Y-%m-%dT%H:%M:%S.000+0000")],
        }
        if event:
            meta["startDate"] = [_stamp(event[0], 9)]
            meta["endDate"] = [(_today() + timedelta(days=event[1])).isoformat()]
        path = f"/calls/{cid.lower()}.html"
        self.documents[path] = (html_page(title, paragraphs, lang), "text/html; charset=utf-8",
                                datetime.now(timezone.utc))
        record = {"reference": cid, "url": self.url(path), "title": title,
                  "summary": summary, "language": lang, "contentType": "text/html",
                  "databaseLabel": "SEDIA", "metadata": meta}
        with self.lock:
            self.calls[cid] = record
        return record

    def modify(self, cid: str, *, title: str | None = None, deadline_days: int | None = None
               ) -> None:
        with self.lock:
            rec = self.calls[cid]
            if title:
                rec["title"] = title
                rec["metadata"]["title"] = [title]
            if deadline_days is not None:
                rec["metadata"]["deadlineDate"] = [_stamp(deadline_days)]
            rec["metadata"]["modified"] = [datetime.now(timezone.utc)
                                           .strftime("%Y-%m-%dT%H:%M:%S.000+0000")]

    def remove(self, cid: str) -> None:
        with self.lock:
            del self.calls[cid]

    # -- the API ---------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: bytes
               ) -> Answer | None:
        if path == "/search-api/rest/search":
            return self._search(method, query, body)
        if path == "/kohesio/projects" and method == "GET":
            return self._projects(query)
        return None

    def _search(self, method: str, query: dict[str, str], body: bytes) -> Answer:
        if method == "POST" and body:
            try:
                json.loads(body)
            except ValueError:
                return Answer(400, json_bytes({"error": "the body is not JSON"}))
        try:
            size = int(query.get("pageSize", 50))
            number = int(query.get("pageNumber", 1))
        except ValueError:
            return Answer(400, json_bytes({"error": "pageSize and pageNumber are numbers"}))
        if not 1 <= size <= 100 or number < 1:
            return Answer(400, json_bytes({"error": "pageSize must be 1-100, pageNumber ≥ 1"}))
        since = query.get("modifiedSince")
        words = [w.lower() for w in query.get("text", "").split() if w != "***"]
        with self.lock:
            calls = [copy.deepcopy(c) for c in self.calls.values()]
        if since:
            calls = [c for c in calls if c["metadata"]["modified"][0][:19] >= since[:19]]
        calls = [c for c in calls if all(w in (c["title"] + " " + c["summary"]).lower()
                                         for w in words)]
        calls.sort(key=lambda c: c["reference"])
        page = calls[(number - 1) * size:number * size]
        data = json_bytes({"apiVersion": "2.1", "terms": query.get("text", "***"),
                           "totalResults": len(calls), "pageNumber": number,
                           "pageSize": size, "sort": "reference:ASC", "results": page})
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        return Answer(200, data, headers={"ETag": etag})

    def _projects(self, query: dict[str, str]) -> Answer:
        limit = int(query.get("limit", 2))
        start = int(query.get("cursor", "0") or 0)
        rows = [{"id": pid, "title": title, "summary": summary,
                 "link": f"/projects/{pid}.html", "country": "EU"}
                for pid, title, summary, _p in PROJECTS][start:start + limit]
        nxt = start + limit if start + limit < len(PROJECTS) else None
        return Answer(200, json_bytes({"data": rows, "next_cursor": None if nxt is None
                                       else str(nxt)}))
