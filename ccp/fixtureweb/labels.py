"""The fixture sites' interface words and dates, in their languages."""

from __future__ import annotations

from datetime import datetime

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home", "news": "News", "about": "About us", "privacy": "Privacy",
        "contact": "Contact", "feed": "RSS feed", "related": "Related",
        "cookie": "We use cookies to improve your experience and to measure visits.",
        "accept": "Accept all cookies", "by": "By", "updated": "Updated",
        "download": "Download the PDF", "page": "Page", "next": "Next", "prev": "Previous",
        "newsletter": "Subscribe to our newsletter and never miss an update.",
        "subscribe": "Subscribe", "featured": "Featured", "tags": "Topics",
        "intro": "News, publications and good practices on the circular economy.",
        "private": "Draft: internal notes (not for publication)",
        "private_text": "This page is an internal draft and must not be indexed.",
        "not_found": "Page not found", "not_found_text": "The page you asked for does not exist.",
        "republished": "First published by", "about_text": "Who we are and what we do.",
        "privacy_text": "How we handle personal data.", "skip": "Skip to content",
    },
    "nl": {
        "home": "Home", "news": "Nieuws", "about": "Over ons", "privacy": "Privacy",
        "contact": "Contact", "feed": "RSS-feed", "related": "Gerelateerd",
        "cookie": "Wij gebruiken cookies om de website te verbeteren en bezoek te meten.",
        "accept": "Alle cookies accepteren", "by": "Door", "updated": "Bijgewerkt",
        "download": "Download de pdf", "page": "Pagina", "next": "Volgende", "prev": "Vorige",
        "newsletter": "Abonneer u op onze nieuwsbrief.", "subscribe": "Aanmelden",
        "featured": "Uitgelicht", "tags": "Onderwerpen",
        "intro": "Nieuws en publicaties van de gemeente over de circulaire economie.",
        "private": "Concept: interne notitie (niet publiceren)",
        "private_text": "Deze pagina is een intern concept en mag niet worden geïndexeerd.",
        "not_found": "Pagina niet gevonden", "not_found_text": "Deze pagina bestaat niet.",
        "republished": "Eerder gepubliceerd door", "about_text": "Over de gemeente.",
        "privacy_text": "Hoe wij met persoonsgegevens omgaan.", "skip": "Naar de inhoud",
    },
    "pt": {
        "home": "Início", "news": "Notícias", "about": "Sobre nós", "privacy": "Privacidade",
        "contact": "Contactos", "feed": "Feed RSS", "related": "Relacionados",
        "cookie": "Utilizamos cookies para melhorar a sua experiência e medir visitas.",
        "accept": "Aceitar todos os cookies", "by": "Por", "updated": "Atualizado",
        "download": "Descarregar o PDF", "page": "Página", "next": "Seguinte",
        "prev": "Anterior", "newsletter": "Subscreva a nossa newsletter.",
        "subscribe": "Subscrever", "featured": "Destaque", "tags": "Temas",
        "intro": "Notícias e publicações do município sobre a economia circular.",
        "private": "Rascunho: notas internas (não publicar)",
        "private_text": "Esta página é um rascunho interno e não deve ser indexada.",
        "not_found": "Página não encontrada", "not_found_text": "A página pedida não existe.",
        "republished": "Publicado originalmente por", "about_text": "Quem somos.",
        "privacy_text": "Como tratamos os dados pessoais.", "skip": "Saltar para o conteúdo",
    },
    "it": {
        "home": "Home", "news": "Notizie", "about": "Chi siamo", "privacy": "Privacy",
        "contact": "Contatti", "feed": "Feed RSS", "related": "Articoli correlati",
        "cookie": "Usiamo i cookie per migliorare il sito e misurare le visite.",
        "accept": "Accetta tutti i cookie", "by": "A cura di", "updated": "Aggiornato",
        "download": "Scarica il PDF", "page": "Pagina", "next": "Successiva",
        "prev": "Precedente", "newsletter": "Iscriviti alla nostra newsletter.",
        "subscribe": "Iscriviti", "featured": "In evidenza", "tags": "Argomenti",
        "intro": "Notizie e documenti del Comune sull'economia circolare.",
        "private": "Bozza: note interne (non pubblicare)",
        "private_text": "Questa pagina è una bozza interna e non deve essere indicizzata.",
        "not_found": "Pagina non trovata", "not_found_text": "La pagina richiesta non esiste.",
        "republished": "Pubblicato originariamente da", "about_text": "Chi siamo.",
        "privacy_text": "Come trattiamo i dati personali.", "skip": "Vai al contenuto",
    },
    "lt": {
        "home": "Pradžia", "news": "Naujienos", "about": "Apie mus", "privacy": "Privatumas",
        "contact": "Kontaktai", "feed": "Naujienų srautas", "related": "Susiję",
        "cookie": "Naudojame slapukus, kad pagerintume svetainę ir matuotume lankomumą.",
        "accept": "Sutinku su visais slapukais", "by": "Autorius", "updated": "Atnaujinta",
        "download": "Atsisiųsti PDF", "page": "Puslapis", "next": "Kitas", "prev": "Ankstesnis",
        "newsletter": "Užsiprenumeruokite naujienlaiškį.", "subscribe": "Prenumeruoti",
        "featured": "Svarbiausia", "tags": "Temos",
        "intro": "Savivaldybės naujienos ir dokumentai apie žiedinę ekonomiką.",
        "private": "Juodraštis: vidinės pastabos (neskelbti)",
        "private_text": "Šis puslapis yra vidinis juodraštis ir neturi būti indeksuojamas.",
        "not_found": "Puslapis nerastas", "not_found_text": "Tokio puslapio nėra.",
        "republished": "Pirmą kartą paskelbė", "about_text": "Apie savivaldybę.",
        "privacy_text": "Kaip tvarkome asmens duomenis.", "skip": "Pereiti prie turinio",
    },
    "no": {
        "home": "Forside", "news": "Nyheter", "about": "Om oss", "privacy": "Personvern",
        "contact": "Kontakt", "feed": "RSS-strøm", "related": "Relatert",
        "cookie": "Vi bruker informasjonskapsler for å forbedre nettstedet og måle besøk.",
        "accept": "Godta alle informasjonskapsler", "by": "Av", "updated": "Oppdatert",
        "download": "Last ned PDF", "page": "Side", "next": "Neste", "prev": "Forrige",
        "newsletter": "Abonner på nyhetsbrevet vårt.", "subscribe": "Abonner",
        "featured": "Aktuelt", "tags": "Temaer",
        "intro": "Nyheter og dokumenter fra kommunen om sirkulær økonomi.",
        "private": "Utkast: interne notater (ikke for publisering)",
        "private_text": "Denne siden er et internt utkast og skal ikke indekseres.",
        "not_found": "Siden finnes ikke", "not_found_text": "Siden du ba om finnes ikke.",
        "republished": "Først publisert av", "about_text": "Om kommunen.",
        "privacy_text": "Slik behandler vi personopplysninger.", "skip": "Gå til innhold",
    },
}

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "lt": "sausio vasario kovo balandžio gegužės birželio liepos rugpjūčio rugsėjo spalio lapkričio gruodžio",
    "no": "januar februar mars april mai juni juli august september oktober november desember",
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])


def visible_date(when: datetime, lang: str) -> str:
    months = MONTHS.get(lang)
    if months is None:
        return when.date().isoformat()
    name = months.split()[when.month - 1]
    if lang == "en":
        return f"{when.day} {name} {when.year}"
    if lang == "pt":
        return f"{when.day} de {name} de {when.year}"
    if lang == "lt":
        return f"{when.year} m. {name} {when.day} d."
    if lang == "no":
        return f"{when.day}. {name} {when.year}"
    return f"{when.day} {name} {when.year}"
