"""Small built-in sample content for the fixture web (same shape as ``content/*.yaml``).

Used by the tests of the fixture web itself, so that they do not depend on the size or the
wording of the packaged content, and by ``FixtureWeb(content="sample")``.
"""

from __future__ import annotations

from .content_loader import SiteContent, parse_documents

_TZ_NL = "+01:00"

SAMPLE_DOCUMENTS: list[tuple[str, dict]] = [
    (
        "sample:euhub",
        {
            "site": "euhub",
            "title": "Circular Knowledge Hub (sample)",
            "articles": [
                {
                    "slug": "circular-city-roadmap",
                    "lang": "en",
                    "title": "A roadmap for circular cities",
                    "published": "2025-02-10T10:00:00+01:00",
                    "author": "Circular Knowledge Hub",
                    "description": "A step-by-step roadmap for cities that want to move to a circular economy.",
                    "metadata": "full",
                    "kind": "pdf",
                    "also_on": [{"site": "urbact", "slug": "roadmap-circular-cities"}],
                    "categories": ["roadmap", "governance"],
                    "body": (
                        "Cities consume most of the world's materials and produce most of its waste. "
                        "This roadmap explains how a city administration can organise the transition "
                        "to a circular economy in five steps.\n\n"
                        "## Step one: map the material flows\n\n"
                        "Start with a material flow analysis of construction, food, textiles and "
                        "electronics. Café owners, façade builders and the São João market all "
                        "belong in the picture; so do partners in Malmö and Tromsø.\n\n"
                        "- Set up a circular economy team\n"
                        "- Agree targets with the city council\n"
                        "- Publish a yearly monitoring report\n\n"
                        "Public procurement is the strongest lever a city has: buying reused "
                        "furniture, renovating instead of demolishing and requiring take-back "
                        "schemes changes markets."
                    ),
                },
                {
                    "slug": "circular-procurement-guide",
                    "lang": "en",
                    "title": "Guide to circular public procurement",
                    "published": "2025-01-20T09:30:00+01:00",
                    "author": "Circular Knowledge Hub",
                    "description": "How municipalities write tenders that favour reuse, repair and recycled materials.",
                    "metadata": "none",
                    "kind": "pdf",
                    "categories": ["procurement"],
                    "body": (
                        "Circular procurement means buying goods and services that keep materials "
                        "in use for as long as possible.\n\n"
                        "This guide gives model clauses for furniture, IT equipment, textiles and "
                        "construction works, and examples from cities across Europe."
                    ),
                },
                {
                    "slug": "textile-reuse-hubs",
                    "lang": "en",
                    "title": "Textile reuse hubs open in five cities",
                    "published": "2025-03-02T08:00:00+01:00",
                    "updated": "2025-03-05T12:00:00+01:00",
                    "author": "Maria Jensen",
                    "description": "Five European cities opened hubs where residents repair, swap and donate clothes.",
                    "metadata": "jsonld",
                    "kind": "html",
                    "categories": ["textiles", "good-practice"],
                    "body": (
                        "Five European cities opened textile reuse hubs this spring. Residents bring "
                        "clothes they no longer wear, repair what is torn and swap garments.\n\n"
                        "The hubs are run with social enterprises that employ people far from the "
                        "labour market. In the first month they collected eleven tonnes of textiles."
                    ),
                },
            ],
        },
    ),
    (
        "sample:urbact",
        {
            "site": "urbact",
            "title": "URBACT-like network (sample)",
            "articles": [
                {
                    "slug": "repair-cafes-network",
                    "lang": "en",
                    "title": "Repair cafés as a city-wide network",
                    "published": "2025-02-25T11:00:00+01:00",
                    "author": "Network secretariat",
                    "description": "A good practice: how one city turned volunteer repair cafés into a network.",
                    "metadata": "full",
                    "kind": "html",
                    "categories": ["good-practice", "repair"],
                    "body": (
                        "Volunteer repair cafés were scattered and short of tools. The city gave them "
                        "a shared booking system, insurance and a tool library.\n\n"
                        "Today forty repair cafés fix more than ten thousand items a year."
                    ),
                },
                {
                    "slug": "circular-construction-hub",
                    "lang": "en",
                    "title": "A material bank for circular construction",
                    "published": "2024-11-12T09:00:00+01:00",
                    "author": "Network secretariat",
                    "description": "A municipal material bank stores doors, beams and tiles from demolitions for reuse.",
                    "metadata": "jsonld",
                    "kind": "html",
                    "categories": ["good-practice", "construction"],
                    "body": (
                        "Demolition waste is the largest waste stream in most cities. A municipal "
                        "material bank collects doors, beams, tiles and windows before demolition.\n\n"
                        "Architects can reserve materials online for new public buildings."
                    ),
                },
            ],
        },
    ),
    (
        "sample:denhaag",
        {
            "site": "denhaag",
            "title": "Gemeente Den Haag (sample)",
            "articles": [
                {
                    "slug": "circulaire-strategie-2030",
                    "lang": "nl",
                    "title": "Den Haag Circulair 2030: de strategie",
                    "published": "2025-03-14T09:00:00" + _TZ_NL,
                    "author": "Afdeling Duurzaamheid",
                    "description": "De gemeente wil in 2030 de helft minder grondstoffen gebruiken.",
                    "metadata": "full",
                    "kind": "html",
                    "also_on": ["euhub"],
                    "categories": ["strategie"],
                    "body": (
                        "De gemeente Den Haag wil in 2030 de helft minder primaire grondstoffen "
                        "gebruiken. De strategie richt zich op bouw, voedsel en textiel.\n\n"
                        "Bewoners, ondernemers en kennisinstellingen werken samen in een circulair "
                        "ambachtscentrum waar spullen worden hersteld en hergebruikt."
                    ),
                },
                {
                    "slug": "inzameling-luiers",
                    "lang": "nl",
                    "title": "Proef met het inzamelen van luiers",
                    "published": "2025-02-03T10:00:00" + _TZ_NL,
                    "author": "Redactie",
                    "description": "Een proef met gescheiden inzameling van luiers in twee wijken.",
                    "metadata": "none",
                    "kind": "html",
                    "body": (
                        "In twee wijken start een proef met het gescheiden inzamelen van luiers. "
                        "De luiers worden verwerkt tot nieuwe grondstoffen.\n\n"
                        "De proef duurt een jaar; daarna beslist de gemeenteraad over uitbreiding."
                    ),
                },
                {
                    "slug": "bouwmaterialen-hergebruik",
                    "lang": "nl",
                    "title": "Hergebruik van bouwmaterialen bij renovatie",
                    "published": "2025-01-15T14:00:00" + _TZ_NL,
                    "author": "Redactie",
                    "description": "Bij de renovatie van scholen worden materialen opnieuw gebruikt.",
                    "metadata": "jsonld",
                    "kind": "html",
                    "body": (
                        "Bij de renovatie van drie scholen hergebruikt de gemeente deuren, kozijnen "
                        "en tegels uit eerdere sloopprojecten.\n\n"
                        "Zo bespaart de gemeente grondstoffen en vermindert zij de uitstoot van CO2."
                    ),
                },
                {
                    "slug": "repaircafe-subsidie",
                    "lang": "nl",
                    "title": "Subsidie voor repaircafés",
                    "published": "2024-12-10T09:00:00" + _TZ_NL,
                    "description": "Repaircafés kunnen subsidie aanvragen voor gereedschap.",
                    "metadata": "none",
                    "kind": "html",
                    "body": (
                        "Repaircafés in Den Haag kunnen tot 2.500 euro subsidie aanvragen voor "
                        "gereedschap en materialen.\n\nAanvragen kan tot 1 maart."
                    ),
                },
            ],
        },
    ),
    (
        "sample:porto",
        {
            "site": "porto",
            "title": "Câmara Municipal do Porto (sample)",
            "articles": [
                {
                    "slug": "roteiro-economia-circular",
                    "lang": "pt",
                    "title": "Roteiro para a economia circular do Porto",
                    "published": "2025-01-28T10:00:00Z",
                    "author": "Câmara Municipal do Porto",
                    "description": "O roteiro define as ações da cidade até 2030.",
                    "metadata": "full",
                    "kind": "html",
                    "body": (
                        "O Porto aprovou um roteiro para a economia circular com ações na construção, "
                        "na alimentação e na gestão de resíduos.\n\n"
                        "A câmara vai apoiar a reutilização de materiais em obras públicas."
                    ),
                },
                {
                    "slug": "relatorio-residuos-2024",
                    "lang": "pt",
                    "title": "Relatório de resíduos urbanos 2024",
                    "published": "2025-02-18T09:00:00Z",
                    "author": "Departamento de Ambiente",
                    "description": "Dados sobre a recolha seletiva e a reciclagem em 2024.",
                    "metadata": "none",
                    "kind": "pdf",
                    "body": (
                        "Em 2024 a recolha seletiva cresceu doze por cento. A separação de "
                        "biorresíduos chegou a todas as freguesias.\n\n"
                        "O relatório apresenta as metas para a próxima década."
                    ),
                },
            ],
        },
    ),
    (
        "sample:prato",
        {
            "site": "prato",
            "title": "Comune di Prato (sample)",
            "articles": [
                {
                    "slug": "distretto-tessile-circolare",
                    "lang": "it",
                    "title": "Il distretto tessile circolare di Prato",
                    "published": "2025-02-12T09:00:00+01:00",
                    "author": "Ufficio Stampa",
                    "description": "Prato ricicla la lana da oltre un secolo: la strategia per il futuro.",
                    "metadata": "full",
                    "kind": "html",
                    "body": (
                        "Prato ricicla la lana da oltre un secolo. Il distretto tessile trasforma "
                        "abiti usati in nuovi filati.\n\n"
                        "La città ha approvato una strategia per l'economia circolare del tessile."
                    ),
                },
                {
                    "slug": "piano-azione-economia-circolare",
                    "lang": "it",
                    "title": "Piano d'azione per l'economia circolare",
                    "published": "2024-12-01T10:00:00+01:00",
                    "author": "Comune di Prato",
                    "description": "Il piano d'azione comunale con obiettivi e indicatori.",
                    "metadata": "jsonld",
                    "kind": "pdf",
                    "body": (
                        "Il piano d'azione definisce obiettivi, responsabilità e indicatori per "
                        "l'economia circolare della città.\n\nÈ stato approvato dal consiglio comunale."
                    ),
                },
            ],
        },
    ),
    (
        "sample:kaunas",
        {
            "site": "kaunas",
            "title": "Kauno miesto savivaldybė (sample)",
            "articles": [
                {
                    "slug": "ziedine-ekonomika-kaune",
                    "lang": "lt",
                    "title": "Žiedinė ekonomika Kaune",
                    "published": "2025-03-01T09:00:00+02:00",
                    "author": "Savivaldybės administracija",
                    "description": "Kaunas rengia žiedinės ekonomikos veiksmų planą.",
                    "metadata": "full",
                    "kind": "html",
                    "body": (
                        "Kaunas rengia žiedinės ekonomikos veiksmų planą. Miestas skatins daiktų "
                        "taisymą ir pakartotinį naudojimą.\n\n"
                        "Gyventojai kviečiami dalyvauti viešose konsultacijose."
                    ),
                },
                {
                    "slug": "daiktu-mainu-punktai",
                    "lang": "lt",
                    "title": "Atidaryti daiktų mainų punktai",
                    "published": "2025-01-10T10:00:00+02:00",
                    "description": "Mieste veikia nauji daiktų mainų punktai.",
                    "metadata": "none",
                    "kind": "html",
                    "body": (
                        "Mieste atidaryti trys daiktų mainų punktai, kuriuose galima palikti ir "
                        "pasiimti baldus, knygas bei drabužius.\n\nPunktai veikia kasdien."
                    ),
                },
            ],
        },
    ),
    (
        "sample:oslo",
        {
            "site": "oslo",
            "title": "Oslo kommune (sample)",
            "articles": [
                {
                    "slug": "sirkulaer-okonomi-strategi",
                    "lang": "no",
                    "title": "Strategi for sirkulær økonomi i Oslo",
                    "published": "2025-02-20T09:00:00+01:00",
                    "author": "Klimaetaten",
                    "description": "Oslo vil redusere forbruket av nye råvarer og øke ombruk.",
                    "metadata": "full",
                    "kind": "html",
                    "body": (
                        "Oslo kommune har vedtatt en strategi for sirkulær økonomi. Målet er å "
                        "redusere forbruket av nye råvarer og øke ombruk av materialer.\n\n"
                        "Kommunen vil stille krav om ombruk i alle byggeprosjekter på Bjørvika."
                    ),
                },
                {
                    "slug": "ombruk-av-byggematerialer",
                    "lang": "no",
                    "title": "Ombruk av byggematerialer i kommunale bygg",
                    "published": "2025-01-08T10:00:00+01:00",
                    "author": "Omsorgsbygg",
                    "description": "Erfaringer med ombruk av dører, vinduer og stål.",
                    "metadata": "jsonld",
                    "kind": "html",
                    "body": (
                        "Omsorgsbygg har brukt dører, vinduer og stål fra rivningsprosjekter i nye "
                        "sykehjem.\n\nErfaringene viser at ombruk kan være både billigere og grønnere."
                    ),
                },
            ],
        },
    ),
]


def sample_content() -> dict[str, SiteContent]:
    """The sample content, validated and grouped by site."""
    return parse_documents(SAMPLE_DOCUMENTS)
