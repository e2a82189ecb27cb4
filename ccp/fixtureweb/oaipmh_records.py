"""The records of the fixture OAI-PMH provider (:mod:`.oaipmh`): circular-economy publications
in several EU languages, written for this project. Dates, languages and types are written the
many ways real repositories write them.

Each row: slug, sets, language as the record writes it, type as the record writes it, date as
the record writes it, kind of linked document ("html" page or "pdf"), title, description,
creators, subjects, publisher.
"""

from __future__ import annotations

CC_BY = "https://creativecommons.org/licenses/by/4.0/"

RECORDS: tuple[tuple, ...] = (
    ("textile-sorting-nordics", ("reports",), "en", "report", "2024-03-12", "html",
     "Automated textile sorting in the Nordic countries: a feasibility study",
     "The study compares near-infrared sorting lines in Malmö, Turku and Oslo and estimates "
     "how much post-consumer textile could be recycled fibre-to-fibre by 2030. It sets out "
     "the collection volumes, the sorting costs per tonne and the contracts municipalities "
     "need with recyclers.",
     ("Lindqvist, Anna", "Koskinen, Mikko"), ("textiles", "sorting", "recycling"),
     "Nordic Circular Hub"),
    ("bauteilboerse-leitfaden", ("guides",), "ger", "Leitfaden", "2023", "html",
     "Leitfaden für kommunale Bauteilbörsen",
     "Der Leitfaden zeigt, wie Städte gebrauchte Bauteile aus Rückbauprojekten erfassen, "
     "lagern und wieder in öffentliche Bauvorhaben bringen. Er enthält Musterklauseln für "
     "Ausschreibungen und Erfahrungen aus Hamburg, Wien und Zürich.",
     ("Becker, Jonas",), ("Bauwesen", "Wiederverwendung", "öffentliche Beschaffung"),
     "Deutsches Institut für Urbanistik"),
    ("compost-municipal-fr", ("guides", "cities"), "fra", "guide", "2022-11-15", "pdf",
     "Guide du compostage de proximité pour les collectivités",
     "Ce guide accompagne les communes dans la mise en place de composteurs partagés en "
     "pied d'immeuble et dans les quartiers. Il détaille le dimensionnement, la formation "
     "des guides composteurs et le suivi des quantités de biodéchets détournées.",
     ("Moreau, Claire",), ("biodéchets", "compostage", "collectivités"), "ADEME"),
    ("amsterdam-doughnut-monitor", ("reports", "cities"), "Nederlands", "rapport",
     "2021-06-01T09:00:00Z", "html",
     "Monitor circulaire economie Amsterdam 2021",
     "De monitor meet de materiaalstromen van de stad, van bouwmaterialen tot voedsel en "
     "consumptiegoederen, en volgt de voortgang van de circulaire strategie. Hij laat zien "
     "waar de stad de grootste milieuwinst kan boeken.",
     ("Gemeente Amsterdam",), ("materiaalstromen", "monitoring"), "Gemeente Amsterdam"),
    ("prato-textile-district", ("reports", "cities"), "ita",
     "info:eu-repo/semantics/report", "2020-09", "pdf",
     "Il distretto tessile di Prato e la rigenerazione della lana",
     "Il rapporto ricostruisce la filiera della lana rigenerata a Prato, dai cenciaioli alle "
     "filature cardate, e propone indicatori per misurare il contenuto riciclato dei tessuti "
     "prodotti nel distretto.",
     ("Bianchi, Laura", "Rossi, Marco"), ("tessile", "lana rigenerata"),
     "Comune di Prato"),
    ("barcelona-superblocks-materials", ("cities",), "spa", "Case study", "2022", "html",
     "Reutilización de materiales en las supermanzanas de Barcelona",
     "El estudio de caso documenta cómo la ciudad reutilizó adoquines, bordillos y mobiliario "
     "urbano al transformar las calles de las supermanzanas, y cuantifica el ahorro de "
     "emisiones frente a materiales nuevos.",
     ("García, Núria",), ("espacio público", "reutilización"), "Ajuntament de Barcelona"),
    ("warsaw-reuse-centres", ("cities",), "pol", "Case study", "2023-05-20", "html",
     "Centra ponownego użycia w Warszawie: pierwsze dwa lata",
     "Opracowanie opisuje działanie miejskich punktów napraw i ponownego użycia, liczbę "
     "przyjętych przedmiotów oraz współpracę z organizacjami pozarządowymi przy ich "
     "naprawie i przekazywaniu mieszkańcom.",
     ("Nowak, Katarzyna",), ("naprawa", "ponowne użycie"), "Miasto Stołeczne Warszawa"),
    ("gothenburg-sharing-economy", ("reports", "cities"), "swe", "report", "2021", "html",
     "Delningsekonomi i Göteborg: utvärdering av stadens delningstjänster",
     "Rapporten utvärderar stadens bibliotek för verktyg, bilpooler och lånecyklar och "
     "beräknar hur mycket nyproduktion som undviks när hushåll delar i stället för att äga.",
     ("Andersson, Erik",), ("delningsekonomi",), "Göteborgs Stad"),
    ("lisbon-food-waste", ("policy", "cities"), "por", "policy", "2024-01-08", "html",
     "Plano municipal de combate ao desperdício alimentar de Lisboa",
     "O plano define metas para reduzir o desperdício alimentar nas cantinas escolares, nos "
     "mercados municipais e na restauração, com redistribuição de excedentes a instituições "
     "sociais e recolha de biorresíduos.",
     ("Câmara Municipal de Lisboa",), ("desperdício alimentar", "biorresíduos"),
     "Câmara Municipal de Lisboa"),
    ("eu-ppwr-briefing", ("policy",), "eng", "Policy brief", "2024-04", "pdf",
     "The Packaging and Packaging Waste Regulation: what changes for cities",
     "This briefing explains the reuse targets, deposit-return obligations and recyclability "
     "criteria of the new packaging regulation, and what municipal waste services will have "
     "to prepare before the first targets apply.",
     ("Dupont, Élise",), ("packaging", "regulation", "deposit return"),
     "European Circular Cities Network"),
    ("helsinki-construction-roadmap", ("policy", "cities"), "fin", "strategy", "2022-02-28",
     "html",
     "Helsingin kiertotalouden tiekartta rakentamiselle",
     "Tiekartta asettaa tavoitteet purkumateriaalien uudelleenkäytölle, puurakentamiselle ja "
     "vähähiilisille hankinnoille kaupungin omissa rakennushankkeissa vuoteen 2035 asti.",
     ("Virtanen, Sari",), ("rakentaminen", "kiertotalous"), "Helsingin kaupunki"),
    ("brno-repair-cafes", ("cities",), "cze", "Case study", "c. 2020", "html",
     "Repair kavárny v Brně jako součást městské strategie",
     "Případová studie popisuje síť repair kaváren podporovaných městem, jejich návštěvnost "
     "a podíl opravených spotřebičů, a doporučuje, jak je zapojit do předcházení vzniku "
     "odpadů.",
     ("Dvořák, Petr",), ("opravy", "předcházení vzniku odpadů"), "Statutární město Brno"),
    ("athens-plastic-free-islands", ("reports",), "gre", "report", "2023-07-14", "html",
     "Νησιά χωρίς πλαστικό: αποτελέσματα πιλοτικών δράσεων στο Αιγαίο",
     "Η έκθεση παρουσιάζει πιλοτικά προγράμματα επαναχρησιμοποιήσιμων συσκευασιών σε "
     "νησιά του Αιγαίου, την ανταπόκριση των επιχειρήσεων εστίασης και τη μείωση των "
     "πλαστικών απορριμμάτων στις παραλίες.",
     ("Papadopoulou, Eleni",), ("πλαστικά", "επαναχρησιμοποίηση"), "Περιφέρεια Νοτίου Αιγαίου"),
    ("ljubljana-zero-waste", ("cities", "reports"), "slv", "report", "2019-12-01", "pdf",
     "Ljubljana na poti do družbe brez odpadkov",
     "Poročilo opisuje, kako je mesto z ločenim zbiranjem od vrat do vrat, centrom ponovne "
     "uporabe in regijskim centrom za ravnanje z odpadki doseglo eno najvišjih stopenj "
     "recikliranja v Evropi.",
     ("Kovač, Maja",), ("odpadki", "recikliranje"), "Mestna občina Ljubljana"),
    ("circular-procurement-guide", ("guides", "policy"), "en", "guidelines", "2021-10", "html",
     "Circular public procurement: a practical guide for municipal buyers",
     "The guide walks procurement officers through market dialogue, award criteria for "
     "refurbished and remanufactured goods, take-back clauses and how to verify recycled "
     "content claims, with examples of office furniture, ICT and catering tenders.",
     ("O'Brien, Siobhan", "Schmidt, Lena"), ("public procurement", "circular economy"),
     "European Circular Cities Network"),
    ("tallinn-biowaste-data", ("reports",), "est", "dataset", "2024-02-02", "html",
     "Tallinna biojäätmete kogumise andmestik 2019–2023",
     "Andmestik sisaldab linnaosade kaupa kogutud biojäätmete koguseid, konteinerite arvu ja "
     "tühjendussagedust ning on avaldatud avaandmetena koos metoodika kirjeldusega.",
     ("Tallinna Strateegiakeskus",), ("biojäätmed", "avaandmed"), "Tallinna Linnavalitsus"),
    ("vienna-urban-mining", ("reports",), "de", "Bericht", "2022-08-30", "html",
     "Urban Mining in Wien: Materiallager im Gebäudebestand",
     "Der Bericht schätzt die in Wiener Gebäuden gebundenen Mengen an Beton, Ziegel, Stahl "
     "und Holz und zeigt, welche Stadtteile bis 2050 die größten Rückbaupotenziale haben.",
     ("Huber, Stefan",), ("Urban Mining", "Gebäudebestand"), "Stadt Wien"),
    ("lyon-reemploi-btp", ("guides",), "fr", "guide", "2023-03", "html",
     "Réemploi des matériaux du BTP à Lyon : retour d'expérience",
     "Le document rassemble les retours d'expérience de chantiers lyonnais ayant réemployé "
     "des cloisons, des faux planchers et des menuiseries, ainsi que les démarches "
     "assurantielles nécessaires.",
     ("Lefèvre, Antoine",), ("réemploi", "bâtiment"), "Métropole de Lyon"),
    ("rotterdam-port-circular", ("reports", "cities"), "nl", "Text", "2020", "html",
     "Circulaire haven Rotterdam: kansen voor industriële symbiose",
     "Het rapport brengt reststromen van bedrijven in het havengebied in kaart en beschrijft "
     "kansen om warmte, CO2 en afvalstoffen uit te wisselen tussen raffinaderijen, "
     "chemische bedrijven en recyclers.",
     ("Jansen, Pieter",), ("industriële symbiose", "haven"), "Havenbedrijf Rotterdam"),
    ("milan-food-policy", ("policy", "cities"), "it", "policy", "2021-04-22", "html",
     "Food Policy di Milano: hub di quartiere contro lo spreco alimentare",
     "Il documento descrive gli hub di quartiere che raccolgono le eccedenze dei supermercati "
     "e delle mense aziendali e le ridistribuiscono alle famiglie, con i risultati in "
     "tonnellate recuperate.",
     ("Comune di Milano",), ("spreco alimentare", "eccedenze"), "Comune di Milano"),
    ("kaunas-deposit-system", ("cities",), "lit", "Case study", "2019", "html",
     "Užstato sistema Lietuvoje: pamokos savivaldybėms",
     "Atvejo analizė aprašo, kaip užstato už gėrimų pakuotes sistema per dvejus metus pasiekė "
     "daugiau kaip 90 proc. grąžinimo lygį ir ką iš to gali pasimokyti kitos savivaldybės.",
     ("Petrauskas, Tomas",), ("užstato sistema", "pakuotės"), "Kauno miesto savivaldybė"),
    ("seville-orange-peel", ("reports",), "es", "article", "2023-10-05", "html",
     "Valorización de la piel de naranja amarga de Sevilla",
     "El artículo analiza la producción de biogás y electricidad a partir de las naranjas "
     "amargas de los árboles urbanos de Sevilla y su integración en la depuradora municipal.",
     ("Romero, Lucía",), ("biogás", "residuos urbanos"), "EMASESA"),
    ("copenhagen-circular-plan", ("policy", "cities"), "dan", "strategy", "2019-06", "pdf",
     "Cirkulære København: ressource- og affaldsplan",
     "Planen fastlægger, hvordan kommunen vil øge genbrug og genanvendelse af husholdningsaffald, "
     "reducere plastforbrænding og udvikle genbrugsstationer til delepladser.",
     ("Københavns Kommune",), ("affald", "genbrug"), "Københavns Kommune"),
    ("repair-index-eu", ("reports",), "English", "report", "2022-05-17T14:30:00Z", "html",
     "Repairability of household appliances in the EU: evidence for a repair index",
     "The report reviews repair scoring schemes in France and Belgium, the availability of "
     "spare parts and repair information, and estimates how a repair index would shift "
     "purchases towards longer-lived appliances.",
     ("Martin, Julien", "Peeters, Sofie"), ("repair", "ecodesign", "appliances"),
     "European Circular Cities Network"),
    ("porto-circular-economy-week", ("cities",), "pt", "event", "2024-11-18", "html",
     "Semana da Economia Circular do Porto 2024",
     "Programa da semana de debates, oficinas de reparação e visitas a empresas circulares "
     "organizada pela Câmara Municipal do Porto com escolas e associações.",
     ("Câmara Municipal do Porto",), ("eventos", "economia circular"),
     "Câmara Municipal do Porto"),
)
