"""A CKAN 2.10 action API on 127.0.0.1 (port 0), with the documents its datasets link to.

``package_search`` (``q`` words or ``*:*``; a Solr-style ``fq`` of ``field:value`` clauses
joined by AND — ``metadata_modified:[… TO *]``, ``res_url:("…" OR "…")``, ``organization``,
``tags``, ``res_format``, ``name``; ``sort``, ``rows`` ≤ 1000, ``start``, ``fl=id``,
``include_deleted``), ``package_show``, ``status_show`` and ``organization_list`` answer as
CKAN does (``{"help", "success", "result"}``; a refusal is ``success: false`` with HTTP 409 or
404). The datasets are circular-economy data of cities and agencies in several EU languages;
their PDF resources (made by :func:`.pdf.make_pdf`) and HTML pages are served by the same
server with ETag/Last-Modified. Tests change the catalogue between runs with
:meth:`CkanSite.modify`, :meth:`CkanSite.delete` (``state: deleted``), :meth:`CkanSite.purge`
(gone from the index) and :meth:`CkanSite.add`.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import datetime, timezone
from html import escape
from typing import Any

from .apiserver import Answer, ApiServer, json_bytes
from .pdf import make_pdf

__all__ = ["DATASETS", "CkanSite"]

_NS = uuid.UUID("5f0c2a52-4d1b-4c55-9a57-0c7e5b1ad001")
HELP = "{base}/api/3/action/help_show?name={action}"

ORGANISATIONS = {
    "kaunas": ("Kauno miesto savivaldybė", "LT"),
    "lyon": ("Métropole de Lyon", "FR"),
    "hamburg": ("Stadtreinigung Hamburg", "DE"),
    "prato": ("Comune di Prato", "IT"),
    "rotterdam": ("Gemeente Rotterdam", "NL"),
    "porto": ("Câmara Municipal do Porto", "PT"),
    "eea-cities": ("European Circular Cities Observatory", "EU"),
}

# (name, organisation, language, title, notes, tags, licence, created, modified, resources);
# a resource: (format, name, file, paragraphs) — paragraphs of the served document
DATASETS: list[tuple] = [
    ("kaunas-tekstiles-atlieku-surinkimas", "kaunas", "lt",
     "Tekstilės atliekų surinkimas Kaune 2024",
     "Duomenys apie tekstilės atliekų surinkimo konteinerius ir surinktus kiekius Kauno "
     "mieste. Rinkinys skirtas žiedinės ekonomikos planavimui.",
     ["tekstilė", "atliekos", "žiedinė ekonomika"], "CC-BY-4.0",
     "2024-02-12T09:10:00", "2024-11-05T14:22:31",
     [("PDF", "Ataskaita apie tekstilės surinkimą", "tekstile-2024.pdf", [
         "Kaunas 2024 metais išplėtė tekstilės atliekų surinkimo tinklą: mieste veikia "
         "daugiau kaip šimtas konteinerių prie daugiabučių namų ir prekybos centrų.",
         "Surinkti drabužiai rūšiuojami Kauno regione: tinkami dėvėti keliauja į labdaros "
         "parduotuves, kiti perdirbami į izoliacines medžiagas ir pluoštą.",
         "Ataskaitoje pateikiami surinkimo kiekiai pagal mikrorajonus, gyventojų apklausos "
         "rezultatai ir pasiūlymai, kaip sumažinti tekstilės atliekų kiekį iki 2030 metų."]),
      ("CSV", "Konteinerių sąrašas", "konteineriai.csv", None)]),
    ("lyon-reemploi-materiaux-chantiers", "lyon", "fr",
     "Réemploi des matériaux sur les chantiers de la Métropole",
     "Suivi des matériaux de construction réemployés sur les chantiers publics de la "
     "Métropole de Lyon : volumes, filières et plateformes de stockage.",
     ["réemploi", "construction", "économie circulaire"], "Licence Ouverte 2.0",
     "2023-09-01T08:00:00", "2024-12-18T10:05:44",
     [("PDF", "Bilan annuel du réemploi", "bilan-reemploi.pdf", [
         "La Métropole de Lyon a réemployé en 2024 plus de neuf mille tonnes de matériaux "
         "issus de la déconstruction de bâtiments publics : portes, radiateurs, parquets, "
         "pierres de taille et mobilier urbain.",
         "Trois plateformes de stockage temporaire permettent aux entreprises du bâtiment "
         "de déposer et de reprendre des matériaux diagnostiqués avant travaux.",
         "Le bilan présente les filières de réemploi, les économies de carbone estimées et "
         "les clauses ajoutées aux marchés publics de travaux pour généraliser la démarche."]),
      ("HTML", "Plateformes de réemploi", "/pages/lyon-plateformes.html", [
          "Les plateformes de réemploi de la Métropole accueillent les matériaux issus des "
          "chantiers de déconstruction : chaque lot est pesé, photographié et décrit.",
          "Les artisans et les associations peuvent réserver les matériaux en ligne et les "
          "retirer sur rendez-vous, du lundi au vendredi.",
          "Une charte précise les règles de qualité, de traçabilité et d'assurance des "
          "matériaux remis en circulation dans les chantiers du territoire."])]),
    ("hamburg-reparaturcafes", "hamburg", "de",
     "Reparaturcafés und Reparaturbonus in Hamburg",
     "Standorte der Reparaturcafés in Hamburg und Auswertung des städtischen "
     "Reparaturbonus für Elektrogeräte.",
     ["Reparatur", "Abfallvermeidung", "Kreislaufwirtschaft"], "Datenlizenz Deutschland 2.0",
     "2024-03-15T11:30:00", "2025-01-20T16:40:12",
     [("PDF", "Evaluation Reparaturbonus", "reparaturbonus-evaluation.pdf", [
         "Der Hamburger Reparaturbonus übernimmt die Hälfte der Kosten für die Reparatur "
         "von Elektrogeräten in zertifizierten Fachbetrieben, höchstens zweihundert Euro.",
         "Im ersten Jahr wurden mehr als elftausend Anträge gestellt; am häufigsten "
         "repariert wurden Waschmaschinen, Kaffeevollautomaten und Mobiltelefone.",
         "Die Auswertung zeigt, wie viele Altgeräte dadurch vermieden wurden, und empfiehlt, "
         "den Bonus auf Fahrräder und Möbel auszuweiten."])]),
    ("prato-distretto-tessile-circolare", "prato", "it",
     "Distretto tessile circolare di Prato: lana rigenerata",
     "Dati sulla filiera della lana rigenerata nel distretto di Prato: quantità di "
     "stracci raccolti, imprese coinvolte e prodotti certificati.",
     ["tessile", "riciclo", "economia circolare"], "CC-BY-4.0",
     "2023-05-20T07:45:00", "2024-10-02T09:12:00",
     [("PDF", "Rapporto sulla lana rigenerata", "lana-rigenerata.pdf", [
         "Il distretto tessile di Prato recupera da oltre un secolo gli indumenti usati per "
         "produrre lana rigenerata, cardata e filata nelle imprese del territorio.",
         "Il rapporto descrive la raccolta degli stracci, la selezione per colore e fibra e "
         "il risparmio di acqua ed energia rispetto alla lana vergine.",
         "Sono presentati i marchi di certificazione delle fibre riciclate e le azioni del "
         "Comune per sostenere le imprese che investono nella tracciabilità."])]),
    ("rotterdam-circulaire-bouwlogistiek", "rotterdam", "nl",
     "Circulaire bouwlogistiek en materialenhubs Rotterdam",
     "Gegevens over de materialenhubs in Rotterdam waar vrijgekomen bouwmaterialen worden "
     "opgeslagen en opnieuw ingezet.",
     ["circulair bouwen", "hergebruik", "logistiek"], "CC0-1.0",
     "2024-06-03T13:00:00", "2025-02-11T08:30:00",
     [("HTML", "Materialenhubs", "/pages/rotterdam-hubs.html", [
         "Rotterdam werkt met materialenhubs waar aannemers vrijgekomen bouwmaterialen "
         "brengen, zodat die in nieuwe projecten van de gemeente worden hergebruikt.",
         "In de hubs worden kozijnen, stalen liggers, tegels en straatmeubilair "
         "geïnventariseerd en met een materialenpaspoort beschikbaar gesteld.",
         "De gemeente meet per project hoeveel primaire grondstoffen en CO2 zo worden "
         "bespaard en deelt de resultaten met de bouwsector."])]),
    ("porto-compostagem-comunitaria", "porto", "pt",
     "Compostagem comunitária no Porto",
     "Localização dos compostores comunitários do Porto e quantidades de resíduos "
     "orgânicos desviadas do aterro.",
     ["compostagem", "biorresíduos", "economia circular"], "CC-BY-4.0",
     "2024-01-08T10:00:00", "2024-09-27T12:00:00",
     [("PDF", "Relatório da compostagem comunitária", "compostagem.pdf", [
         "O Porto instalou compostores comunitários em jardins, escolas e hortas urbanas, "
         "geridos por moradores voluntários com o apoio técnico do município.",
         "Em 2024 foram desviadas do aterro mais de trezentas toneladas de resíduos "
         "orgânicos, transformadas em composto usado nos espaços verdes da cidade.",
         "O relatório apresenta os pontos de compostagem, a formação dos voluntários e as "
         "metas para a recolha seletiva de biorresíduos até 2030."])]),
    ("circular-city-indicators", "eea-cities", "en",
     "Circular city indicators for European cities",
     "A common set of indicators that cities use to monitor their circular economy "
     "strategies: material consumption, waste generation, reuse and repair.",
     ["indicators", "monitoring", "circular economy"], "Creative Commons Attribution 4.0",
     "2023-11-30T15:00:00", "2025-03-04T09:45:00",
     [("PDF", "Indicator handbook", "indicator-handbook.pdf", [
         "This handbook describes a compact set of indicators that European cities use to "
         "follow their circular economy strategies over time.",
         "Each indicator comes with its definition, the data sources a city usually holds, "
         "and examples of how reuse, repair and sharing services are counted.",
         "Cities can compare their material footprint per resident and the share of "
         "municipal waste prepared for reuse with peers of a similar size."]),
      ("HTML", "Indicator overview", "/pages/indicators.html", [
          "The overview page lists the indicators by theme: materials, waste, water, food, "
          "the built environment and the local economy.",
          "For every indicator the page links to the methodology and to the cities that "
          "already report it in their monitoring dashboards.",
          "Feedback from the participating cities is collected every spring and the set "
          "is revised when better data become available."])]),
    ("eu-food-waste-city-pilots", "eea-cities", "es",
     "Proyectos piloto urbanos contra el desperdicio alimentario",
     "Resultados de los proyectos piloto de ciudades europeas para reducir el "
     "desperdicio de alimentos en comedores escolares y mercados.",
     ["desperdicio alimentario", "alimentación", "economía circular"], "CC-BY-4.0",
     "2024-04-22T09:00:00", "2024-08-30T17:20:00",
     [("PDF", "Informe de los proyectos piloto", "desperdicio-alimentario.pdf", [
         "Los proyectos piloto midieron el desperdicio de alimentos en comedores escolares "
         "y mercados municipales durante un curso completo.",
         "Las ciudades participantes redujeron las sobras ajustando las raciones, "
         "donando excedentes a bancos de alimentos y compostando el resto.",
         "El informe recoge las herramientas de medición, los costes y las lecciones "
         "aprendidas para extender las medidas a otros municipios."])]),
]


def _iso(s: str) -> str:
    return datetime.fromisoformat(s).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


def html_page(title: str, paragraphs: list[str], lang: str) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
            f"{body}</main></body></html>").encode()


class SearchError(ValueError):
    """A query the fixture's Solr would refuse."""


_CLAUSE = re.compile(r'\s*([+-]?)([\w.]+):(\[[^\]]*\]|\([^)]*\)|"(?:[^"\\]|\\.)*"|[^\s()]+)\s*')


def parse_fq(fq: str) -> list[tuple[str, str]]:
    """``field:value`` clauses of a filter query joined by AND (outer parentheses allowed)."""
    clauses, rest = [], fq.strip()
    while rest:
        rest = rest.lstrip()
        if rest.startswith("AND "):
            rest = rest[4:]
            continue
        if rest.startswith("(") and rest.count("(") and _balanced(rest):
            inner, rest = _group(rest)
            clauses += parse_fq(inner)
            continue
        m = _CLAUSE.match(rest)
        if not m:
            raise SearchError(f"Search Query is invalid: cannot parse {rest[:40]!r}")
        clauses.append((m.group(2), m.group(3)))
        rest = rest[m.end():]
    return clauses


def _balanced(s: str) -> bool:
    return s.count("(") == s.count(")")


def _group(s: str) -> tuple[str, str]:
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return s[1:i], s[i + 1:]
    raise SearchError("Search Query is invalid: unbalanced parentheses")


def _values(value: str) -> list[str]:
    if value.startswith("("):
        value = value[1:-1]
    return [re.sub(r'\\(.)', r"\1", v[1:-1]) if v.startswith('"') else v
            for v in re.findall(r'"(?:[^"\\]|\\.)*"|[^\s"]+', value) if v != "OR"]


class CkanSite(ApiServer):
    """The CKAN site: its datasets, the documents they link to, and the action API."""

    title = "Open Data Portal of Circular Cities"

    def __init__(self, datasets: list[tuple] | None = None):
        super().__init__()
        self.packages: dict[str, dict[str, Any]] = {}
        for d in datasets if datasets is not None else DATASETS:
            self.add(d, modified=None)

    # -- the catalogue ---------------------------------------------------------------------
    def add(self, d: tuple, modified: str | None = "now") -> dict[str, Any]:
        name, org, lang, title, notes, tags, licence, created, changed, resources = d
        pid = _uid("package", name)
        org_title, _country = ORGANISATIONS[org]
        res_list = []
        when = _now_iso() if modified == "now" else _iso(changed)
        for pos, (fmt, rname, file, paragraphs) in enumerate(resources):
            rid = _uid("resource", name, file)
            res_list.append(self._resource(pid, rid, pos, fmt, rname, file, title, lang,
                                           paragraphs, created))
        pkg = {
            "id": pid, "name": name, "title": title, "notes": notes, "type": "dataset",
            "state": "active", "private": False, "author": org_title, "author_email": None,
            "maintainer": None, "license_id": licence.lower().replace(" ", "-"),
            "license_title": licence, "metadata_created": _iso(created),
            "metadata_modified": when, "url": None, "version": None,
            "organization": {"id": _uid("org", org), "name": org, "title": org_title,
                             "type": "organization", "state": "active",
                             "is_organization": True, "description": ""},
            "owner_org": _uid("org", org),
            "tags": [{"id": _uid("tag", t), "name": t, "display_name": t, "state": "active",
                      "vocabulary_id": None} for t in tags],
            "groups": [], "relationships_as_object": [], "relationships_as_subject": [],
            "extras": [{"key": "language", "value": lang}],
            "resources": res_list, "num_resources": len(res_list), "num_tags": len(tags),
        }
        with self.lock:
            self.packages[pid] = pkg
        return pkg

    def _resource(self, pid, rid, pos, fmt, rname, file, title, lang, paragraphs, created):
        if file.startswith("/"):
            path = file
        else:
            path = f"/dataset/{pid}/resource/{rid}/download/{file}"
        if paragraphs:
            self.set_document(path, fmt, f"{title} — {rname}", paragraphs, lang, created)
        return {"id": rid, "package_id": pid, "name": rname, "description": "",
                "format": fmt, "mimetype": {"PDF": "application/pdf",
                                            "HTML": "text/html"}.get(fmt, "text/csv"),
                "url": self.url(path), "url_type": "upload" if "/download/" in path else None,
                "created": _iso(created), "last_modified": None, "position": pos,
                "state": "active", "size": None, "hash": ""}

    def set_document(self, path: str, fmt: str, title: str, paragraphs: list[str],
                     lang: str, created: str = "2024-01-01T00:00:00") -> None:
        when = datetime.fromisoformat(created).replace(tzinfo=timezone.utc)
        if fmt == "PDF":
            data, ctype = make_pdf(title, None, paragraphs, when, lang=lang), "application/pdf"
        else:
            data, ctype = html_page(title, paragraphs, lang), "text/html; charset=utf-8"
        with self.lock:
            self.documents[path] = (data, ctype, datetime.now(timezone.utc))

    def package(self, name: str) -> dict[str, Any]:
        with self.lock:
            return next(p for p in self.packages.values() if p["name"] == name)

    def modify(self, name: str, **changes: Any) -> dict[str, Any]:
        """Change a dataset (``metadata_modified`` becomes now)."""
        with self.lock:
            pkg = self.package(name)
            pkg.update(changes)
            pkg["metadata_modified"] = _now_iso()
            return pkg

    def delete(self, name: str) -> None:
        """Delete a dataset the way CKAN does: ``state: deleted``, still in the index."""
        self.modify(name, state="deleted")

    def purge(self, name: str) -> None:
        """Purge a dataset: gone from every answer."""
        with self.lock:
            del self.packages[self.package(name)["id"]]

    # -- the action API --------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: bytes
               ) -> Answer | None:
        m = re.fullmatch(r"/api/(?:3/)?action/(\w+)", path)
        if not m:
            return None
        action = m.group(1)
        handler = getattr(self, f"_action_{action}", None)
        if handler is None:
            return self._error(action, 400, "Bad request",
                               f"Action name not known: {action}")
        try:
            return self._ok(action, handler(query))
        except SearchError as exc:
            return self._error(action, 409, "Search Query Error", str(exc))
        except LookupError as exc:
            return self._error(action, 404, "Not Found Error", str(exc))
        except ValueError as exc:
            return self._error(action, 409, "Validation Error", str(exc))

    def _ok(self, action: str, result: Any) -> Answer:
        return Answer(200, json_bytes({"help": HELP.format(base=self.base, action=action),
                                       "success": True, "result": result}))

    def _error(self, action: str, status: int, kind: str, message: str) -> Answer:
        return Answer(status, json_bytes({"help": HELP.format(base=self.base, action=action),
                                          "success": False,
                                          "error": {"__type": kind, "message": message}}))

    def _action_status_show(self, _q):
        return {"site_title": self.title, "site_description": "", "site_url": self.base,
                "ckan_version": "2.10.4", "error_emails_to": None, "locale_default": "en",
                "extensions": ["activity", "datastore", "datapusher", "scheming_datasets"]}

    def _action_organization_list(self, _q):
        return sorted(ORGANISATIONS)

    def _action_package_show(self, q):
        key = q.get("id", "")
        with self.lock:
            pkg = self.packages.get(key) or next(
                (p for p in self.packages.values() if p["name"] == key), None)
            if pkg is None or pkg["state"] == "deleted":
                raise LookupError("Not found")
            return copy.deepcopy(pkg)

    def _action_package_search(self, q):
        rows = int(q.get("rows", 10))
        start = int(q.get("start", 0))
        if rows > 1000:
            raise ValueError("rows: Must be less than or equal to 1000")
        if rows < 0 or start < 0:
            raise ValueError("rows, start: Must be a natural number")
        clauses = parse_fq(q.get("fq", ""))
        words = q.get("q", "*:*").strip()
        if words == "*:*":
            words = ""
        elif ":" in words:
            clauses += parse_fq(words)
            words = ""
        with self.lock:
            pkgs = [copy.deepcopy(p) for p in self.packages.values()
                    if (p["state"] == "active" or q.get("include_deleted") == "true")
                    and self._matches(p, clauses, words)]
        sort = q.get("sort", "score desc, metadata_modified desc").split(",")[0].split()
        key, desc = sort[0], len(sort) > 1 and sort[1] == "desc"
        if key not in ("metadata_modified", "metadata_created", "id", "name", "title",
                       "score"):
            raise SearchError(f"Search Query is invalid: can not sort on {key}")
        field = "metadata_modified" if key == "score" else key
        pkgs.sort(key=lambda p: p[field], reverse=desc or key == "score")
        page = pkgs[start:start + rows]
        if q.get("fl"):
            fields = [f.strip() for f in re.split(r"[ ,]+", q["fl"]) if f.strip()]
            page = [{f: p.get(f) for f in fields} for p in page]
        return {"count": len(pkgs), "facets": {}, "results": page, "sort": " ".join(sort),
                "search_facets": {}}

    def _matches(self, pkg: dict[str, Any], clauses, words: str) -> bool:
        text = " ".join([pkg["title"], pkg["notes"], *(t["name"] for t in pkg["tags"])]).lower()
        if any(w.lower() not in text for w in words.split()):
            return False
        for field, value in clauses:
            if field == "metadata_modified":
                m = re.fullmatch(r"\[(\S+) TO (\S+)\]", value)
                if not m:
                    raise SearchError(f"Search Query is invalid: bad range {value!r}")
                low, high = (self._solr_date(v) for v in m.groups())
                mod = pkg["metadata_modified"][:19]
                if (low and mod < low) or (high and mod > high):
                    return False
            elif field == "res_url":
                if not set(_values(value)) & {r["url"] for r in pkg["resources"]}:
                    return False
            elif field in ("organization", "tags", "res_format", "name", "groups"):
                have = {"organization": {pkg["organization"]["name"]},
                        "tags": {t["name"] for t in pkg["tags"]},
                        "res_format": {r["format"] for r in pkg["resources"]},
                        "name": {pkg["name"]}, "groups": set()}[field]
                if not set(_values(value)) & have:
                    return False
            else:
                raise SearchError(f"Search Query is invalid: undefined field {field}")
        return True

    @staticmethod
    def _solr_date(v: str) -> str | None:
        if v == "*":
            return None
        if v == "NOW":
            return _now_iso()[:19]
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z", v)
        if not m:
            raise SearchError(f"Search Query is invalid: Invalid Date String:'{v}'")
        return m.group(1)
