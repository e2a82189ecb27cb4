"""A small multilingual corpus for the search backend tests, and a brute-force facet oracle."""

from __future__ import annotations

from datetime import datetime, timezone

from indexer.backends.base import facet_values
from indexer.query import FACETS
from indexer.resource import Instance, Place, Resource


def utc(y: int, m: int = 1, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=timezone.utc)


def make_resource(
    rid: str,
    title: str,
    *,
    summary: str = "",
    body: str = "",
    language: str | None = "en",
    type: str = "other",
    themes: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    city: str | None = None,
    sources: tuple[str, ...] = ("urbact",),
    published: datetime | None = None,
    gone: bool = False,
    publisher: str | None = None,
) -> Resource:
    instances = [
        Instance(
            source_id=s,
            url=f"https://{s}.example.eu/{rid}",
            first_seen=utc(2024, 1, 1),
            last_seen=utc(2024, 6, 1),
            status="gone" if gone else "live",
        )
        for s in sources
    ]
    return Resource(
        id=rid,
        title=title,
        url=instances[0].url,
        summary=summary,
        body=body,
        instances=instances,
        publisher=publisher,
        published=published,
        language=language,
        type=type,
        themes=list(themes),
        places=[Place(country=c, city=city) for c in countries],
    )


def corpus() -> list[Resource]:
    """Eleven resources in nl, fr, de, it, pt and en; one is gone, one has no date."""
    return [
        make_resource(
            "ams-strategy",
            "Amsterdam Circulair 2020-2025: strategie voor een circulaire stad",
            summary="De gemeente Amsterdam wil in 2050 volledig circulair zijn en halveert het "
                    "gebruik van nieuwe grondstoffen in 2030.",
            body="In deze strategie beschrijft de gemeente hoe inwoners, bedrijven en "
                 "kennisinstellingen samenwerken aan hergebruik van bouwmaterialen, voedselresten "
                 "en consumptiegoederen. Nieuwe woningen worden gebouwd met materialen uit "
                 "gesloopte gebouwen.",
            language="nl", type="strategy", themes=("construction", "waste"),
            countries=("NL",), city="Amsterdam", sources=("amsterdam",),
            published=utc(2020, 4, 14), publisher="Gemeente Amsterdam",
        ),
        make_resource(
            "utrecht-bikes",
            "Fietsenmakers in Utrecht geven weesfietsen een tweede leven",
            summary="Een sociaal leerwerkbedrijf herstelt achtergelaten tweewielers uit de "
                    "stallingen van het station.",
            body="Elk jaar verwijdert de gemeente duizenden achtergelaten tweewielers. In plaats "
                 "van ze te vernietigen, repareert een leerwerkbedrijf ze en verkoopt ze opnieuw.",
            language="nl", type="good-practice", themes=("mobility",),
            countries=("NL",), city="Utrecht", sources=("urbact",), published=utc(2019, 9, 2),
        ),
        make_resource(
            "paris-roadmap",
            "Feuille de route pour l'économie circulaire de Paris",
            summary="La Ville de Paris publie sa deuxième feuille de route de l'économie "
                    "circulaire.",
            body="Les collectivités locales jouent un rôle clé : la Ville soutient le réemploi "
                 "des matériaux de construction, la réduction des déchets ménagers et la "
                 "commande publique responsable. Un guide recense les ressourceries de chaque "
                 "arrondissement.",
            language="fr", type="strategy", themes=("waste", "governance"),
            countries=("FR",), city="Paris", sources=("paris",), published=utc(2017, 7, 5),
        ),
        make_resource(
            "brussels-reuse-guide",
            "Guide du réemploi des matériaux dans les chantiers bruxellois",
            summary="Un guide pratique pour les maîtres d'ouvrage qui veulent intégrer des "
                    "matériaux de réemploi.",
            body="Ce guide explique comment inventorier les éléments réutilisables avant "
                 "démolition, comment rédiger un cahier des charges et comment assurer les "
                 "matériaux de réemploi. Il s'adresse aux architectes, aux entrepreneurs et aux "
                 "pouvoirs publics.",
            language="fr", type="guide", themes=("construction",),
            countries=("BE",), city="Brussels", sources=("urbact",), published=utc(2021, 3, 10),
        ),
        make_resource(
            "berlin-zero-waste",
            "Zero-Waste-Strategie des Landes Berlin",
            summary="Berlin will Abfälle vermeiden und Wertstoffe im Kreislauf halten.",
            body="Die Städte der Metropolregion arbeiten bei der Wiederverwendung von Baustoffen "
                 "zusammen. Gebrauchte Möbel und Elektrogeräte werden in "
                 "Gebrauchtwarenkaufhäusern verkauft. Reparaturcafés gibt es in allen Bezirken.",
            language="de", type="strategy", themes=("waste",),
            countries=("DE",), city="Berlin", sources=("berlin",), published=utc(2022, 11, 1),
        ),
        make_resource(
            "prato-textiles",
            "Prato: il distretto tessile dell'economia circolare",
            summary="Da secoli Prato ricicla la lana: un modello di economia circolare per le "
                    "città europee.",
            body="Le imprese del distretto raccolgono abiti usati e rifiuti tessili, li "
                 "selezionano per colore e li trasformano in nuovi filati. Il comune sostiene la "
                 "simbiosi industriale tra aziende.",
            language="it", type="good-practice", themes=("textiles",),
            countries=("IT",), city="Prato", sources=("urbact",), published=utc(2019, 5, 20),
        ),
        make_resource(
            "lisbon-roadmap",
            "Roteiro para a economia circular de Lisboa",
            summary="A Câmara Municipal de Lisboa apresenta o roteiro para uma cidade mais "
                    "circular.",
            body="O roteiro define medidas para reduzir os resíduos urbanos, combater o "
                 "desperdício alimentar e promover a reutilização de materiais nas obras "
                 "municipais. As cidades portuguesas partilham experiências numa rede nacional.",
            language="pt", type="strategy", themes=("waste", "food"),
            countries=("PT",), city="Lisboa", sources=("lisboa",), published=utc(2021, 6, 30),
        ),
        make_resource(
            "eu-action-plan",
            "A new Circular Economy Action Plan for a cleaner and more competitive Europe",
            summary="The European Commission's action plan with initiatives along the entire "
                    "life cycle of products.",
            body="The plan targets how products are designed, promotes circular economy "
                 "processes, encourages sustainable consumption, and aims to ensure that waste is "
                 "prevented and the resources used are kept in the EU economy for as long as "
                 "possible. Cities and regions are key partners.",
            language="en", type="policy", themes=("governance", "waste"),
            countries=("EU",), sources=("eu-commission", "urbact"), published=utc(2020, 3, 11),
        ),
        make_resource(
            "repair-cafe-toolkit",
            "How to start a repair café in your neighbourhood",
            summary="A step-by-step toolkit for volunteers.",
            body="Repair cafés bring neighbours together to fix broken household items. This "
                 "toolkit covers finding a venue, insurance, tools and volunteers.",
            language="en", type="guide", themes=("waste",),
            countries=("IE",), sources=("urbact",), published=None,
        ),
        make_resource(
            "script-news",
            "<script>alert('title')</script> Cities & <b>waste</b>",
            summary="",
            body="Reported by <script>alert(1)</script> the newsroom: cities cut waste with "
                 "<b>deposit schemes</b> for bottles.",
            language="en", type="news", themes=(),
            countries=("IE",), sources=("urbact",), published=utc(2018, 1, 15),
        ),
        make_resource(
            "gone-news",
            "Circular economy week in Amsterdam (archived)",
            summary="Programme of the archived circular economy week.",
            body="This page was removed from its source. Workshops on the circular economy week "
                 "programme.",
            language="en", type="news", themes=("waste",),
            countries=("NL",), sources=("amsterdam",), published=utc(2023, 1, 1), gone=True,
        ),
    ]


def live(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r.is_live]


def expected_facets(
    resources: list[Resource], filters: dict[str, list[str]], size: int = 30
) -> dict[str, list[tuple[str, int]]]:
    """Disjunctive facet counts computed by brute force (the oracle for every backend)."""
    values = [(r, facet_values(r)) for r in resources]
    out = {}
    for facet in FACETS:
        counts: dict[str, int] = {}
        for _, fv in values:
            if all(set(fv[f]) & set(vals) for f, vals in filters.items() if f != facet):
                for v in set(fv[facet]):
                    counts[v] = counts.get(v, 0) + 1
        out[facet] = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))[:size]
    return out
