"""The words around a date that say what it is: a deadline, the day an event takes place, a
date that belongs to something else. Written folded (lower case, no diacritics, ``σ`` for the
final sigma: see :func:`indexer.datetext.fold`), for en fr de it nl pt es pl lt fi el cs sk sv
da no hu ro et lv sl hr. Used by :mod:`indexer.deadlines`.
"""

from __future__ import annotations

import re

__all__ = ["APPLY_RE", "BOUNDARY_RE", "EVENT_RE", "EXTENDED_RE", "FROM_RE", "OTHER_RE", "PAST_RE", "POST_RE",
           "POST_WEAK_RE", "QUESTION_RE",
           "REGISTRATION_RE", "STRONG_RE", "WEAK_RE"]


# \b, not (?<!\w): Python's engine rejects a position five times faster with it
def _words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")(?!\w)")


def _stems(*stems: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(stems) + r")")


# Says that the date after it closes something: "Deadline:", "date limite", "Einreichungsfrist".
STRONG_RE = _words(
    # en
    r"deadlines?", r"closing\s+date", r"applications?\s+(?:close|must\s+be\s+(?:submitted|received)|are\s+due)",
    r"due\s+(?:date|by)", r"(?:proposals?|applications?|entries|submissions?|tenders?)\s+(?:are\s+)?due(?:\s+(?:on|by))?\s*:?", r"(?:must\s+be\s+)?submit(?:ted)?\s+(?:by|before|no\s+later\s+than)", r"apply\s+(?:by|before|until)",
    r"(?:no|not)\s+later\s+than", r"cut-?off\s+date", r"submissions?\s+(?:close|until|by)",
    # a key-dates list: "Submission of solutions: 31 May 2027", "Dépôt des dossiers : …"
    r"(?:submissions?|depot|einreichung|invio|indiening|submissao|presentacion|zlozenie)(?:\s+\w+){0,3}\s*:",
    # fr
    r"dates?[- ]limites?", r"cloture(?:\s+des\s+candidatures)?", r"echeance", r"au\s+plus\s+tard(?:\s+le)?",
    r"delai\s+de\s+(?:depot|soumission|candidature|reponse)", r"limite\s+de\s+depot",
    # de (compounds: Einreichungsfrist, Bewerbungsfrist, Antragsfrist; Einsendeschluss)
    r"\w*frist(?:en)?", r"(?:einsende|bewerbungs|abgabe|einreichungs|antrags|anmelde)schlus+", r"stichtag", r"spatestens(?:\s+(?:am|bis))?",
    r"einzureichen\s+bis(?:\s+zum)?",
    # it
    r"scadenza", r"scade\s+il", r"si\s+chiud(?:e|ono)(?:\s+il)?", r"termine\s+(?:ultimo|di\s+presentazione|per\s+la\s+presentazione|perentorio)",
    r"entro\s+e\s+non\s+oltre(?:\s+il)?", r"non\s+oltre\s+il", r"chiusura\s+(?:del\s+bando|dell'avviso|delle\s+candidature)",
    # nl
    r"uiterlijk(?:\s+op)?", r"sluitingsdatum", r"indienen\s+(?:kan\s+)?(?:tot|voor)",
    # pt / es
    r"prazo(?:\s+de\s+(?:candidatura|submissao|entrega))?", r"data[- ]limite", r"encerramento\s+das\s+candidaturas",
    r"plazo(?:\s+de\s+(?:presentacion|solicitud))?", r"fecha\s+(?:limite|de\s+cierre)", r"cierre\s+de\s+la\s+convocatoria",
    r"a\s+mas\s+tardar(?:\s+el)?",
    # pl
    r"termin\s+(?:skladania|nadsylania|zgloszen|przyjmowania|naboru|zlozenia)", r"nabor\s+(?:trwa|wnioskow\s+trwa)\s+do",
    r"najpozniej\s+do(?:\s+dnia)?",
    # lt
    r"(?:paraisku\s+)?(?:pateikimo\s+)?terminas", r"paraiskos\s+priimamos\s+iki", r"paraiskas\s+(?:teikti|pateikti)\s+iki",
    r"ne\s+veliau\s+kaip",
    # fi
    r"maaraaika(?:an)?", r"hakuaika(?:\s+paattyy)?", r"haku\s+paattyy", r"viimeistaan",
    # el
    r"προθεσμια(?:\s+υποβολησ)?", r"καταληκτικη\s+ημερομηνια", r"ληξη\s+(?:υποβολησ|προθεσμιασ)",
    # cs / sk
    r"uzaverka", r"uzavierka", r"termin\s+(?:pro\s+|na\s+)?podani[ae]?", r"nejpozdeji(?:\s+do)?", r"najneskor(?:\s+do)?",
    r"lhuta\s+pro\s+podani", r"prijem\s+(?:zadosti|prihlasek)\s+do",
    # sv / da / no
    r"sista\s+(?:ansokningsdag|dag\s+for\s+ansokan|dag\s+att\s+ansoka)", r"ansokningstiden\s+gar\s+ut", r"senast",
    r"senest", r"sidste\s+frist",
    # hu / ro / et / lv / sl / hr
    r"\w*hatarido", r"legkesobb", r"termen(?:ul)?\s+limita", r"data\s+limita", r"tahtaeg", r"hiljemalt",
    r"iesniegsanas\s+termins", r"rok\s+za\s+(?:oddajo|prijavu|prijave|podnosenje)",
)

# "until" words: a deadline only with an application word in the sentence (or on a call's page).
WEAK_RE = _words(
    r"until", r"till", r"by", r"before", r"closes?(?:\s+on)?", r"sluit\s+op", r"ferme\s+le", r"schliesst\s+am", r"jusqu'(?:au|a|à)", r"avant\s+le", r"bis(?:\s+zum)?", r"entro(?:\s+il)?",
    r"fino\s+al", r"tot(?:\s+en\s+met)?", r"t/m", r"voor", r"ate(?:\s+ao\s+dia|\s+ao|\s+dia|\s+a)?", r"hasta(?:\s+el)?",
    r"antes\s+del?", r"termina[mn]?\s+(?:a|em|el|no\s+dia)", r"finaliza[mn]?(?:\s+el)?", r"ends?\s+on", r"do(?:\s+dnia)?", r"iki", r"asti", r"εωσ", r"μεχρι", r"innan", r"indtil", r"inden", r"til",
)

# Comes after the date: "15.3.2027 mennessä", "by 15 March at the latest".
POST_RE = re.compile(r"\W{0,3}(?:mennessa|viimeistaan|at\s+the\s+latest|au\s+plus\s+tard|spatestens|uiterlijk"
                     r"|is\s+the\s+deadline|iki(?!\w))")

# "until" after the date: "15.4.2027 asti" (a deadline only in a sentence about applying).
POST_WEAK_RE = re.compile(r"\W{0,3}(?:asti|saakka|inclusive|einschliesslich|incluso|compreso)(?!\w)")

# Before a range: "from 1 March to 15 April" (an application period, its end the deadline).
FROM_RE = re.compile(r"\b(?:from|between|du|entre|vom|von|dal|tra|van|de|desde|od|nuo|απο|fra|fran|mellan)\s*$")

APPLY_RE = _stems(
    r"applica", r"apply", r"submi", r"proposal", r"candidat", r"dossier", r"antra", r"bewerb", r"einreich",
    r"domand", r"propost", r"aanvra", r"indien", r"solicitud", r"propuest", r"wniosk", r"zgloszen", r"ofert",
    r"paraisk", r"hakemu", r"haku", r"hae", r"αιτησ", r"αιτηση", r"προτασ", r"υποβολ", r"zados", r"zadost", r"prihlas",
    r"ansok", r"ansog", r"sokna", r"palyaz", r"entries", r"nominat", r"tender", r"offerte", r"inscricoes",
    r"inscripcion", r"bando", r"avviso", r"call", r"convocatoria", r"appel",
)

REGISTRATION_RE = _stems(
    r"registration", r"register", r"sign\s+up", r"inscription", r"s'inscrire", r"anmeld", r"iscrizion", r"iscriver",
    r"aanmeld", r"rejestrac", r"zapis", r"registrac", r"registruot", r"ilmoittau", r"εγγραφ", r"anmal", r"tilmeld",
    r"pamelding", r"ticket", r"book", r"reserv", r"prenot", r"δηλωσ(?:εισ|η)\s+συμμετοχ",
)

QUESTION_RE = _stems(
    r"question", r"clarification", r"fragen", r"quesit", r"chiariment", r"vragen", r"esclarecimento", r"consultas",
    r"pytan", r"klausim", r"kysymy", r"διευκρινισ", r"ερωτημα", r"dotaz", r"fragor", r"sporgsmal", r"sporsmal",
    r"info\s*day", r"webinar", r"infodag",
)

PAST_RE = _stems(
    r"previous", r"last\s+year", r"last\s+edition", r"past\s+edition", r"former", r"precedent", r"vorherig",
    r"letzte[ns]?\s+jahr", r"vorjahr", r"vorige", r"anterior", r"passad", r"poprzedni", r"ubiegl", r"ankstesn",
    r"praejusi", r"edellinen", r"edellise", r"viime\s+vuon", r"προηγουμεν", r"περσ", r"predchoz", r"minul[ey]",
    r"forra", r"foregaende", r"forrige", r"fjol", r"results?\s+(?:of|from)", r"closed", r"ended", r"expired",
    r"si\s+e\s+chius", r"s'est\s+termin", r"wurde\s+beendet", r"is\s+gesloten", r"zakoncz", r"zostal\s+zamkniet",
    r"endete", r"abgelaufen", r"scadut", r"si\s+e\s+conclus", r"paattyi", r"skoncil", r"uplynul", r"gick\s+ut", r"udlob",
    r"expiraram", r"termino\s+el", r"se\s+cerro", r"a\s+pris\s+fin", r"s'est\s+clos", r"liep\s+af", r"is\s+verlopen",
    r"baigesi", r"εληξε", r"ελαβε\s+τελοσ",
)

EXTENDED_RE = _stems(
    r"ursprunglich", r"originally", r"initialement", r"inizialmente", r"oorspronkelijk", r"inicialmente",
    r"pierwotnie", r"pradzioje", r"alun\s+perin", r"αρχικα", r"puvodne", r"ursprungligen", r"oprindeligt",
    r"extended", r"extension", r"prolong", r"postponed", r"reportee?(?![dr])", r"verlanger", r"verschoben", r"prorog",
    r"verlengd", r"prorrog", r"ampliad", r"przedluz", r"pratest", r"pidenn", r"παραταθ", r"παραταση", r"prodlouz",
    r"forlang", r"forlaeng", r"riapert", r"re-?open", r"rouvert", r"wieder\s+geoffnet", r"erneut\s+geoffnet",
    r"heropend", r"reabert", r"reabiert", r"ponownie\s+otwart", r"atnaujint",
)

# A date after these (in the same sentence) is about something else than the deadline.
OTHER_RE = _stems(
    r"publish", r"posted", r"publie", r"veroffentlicht", r"pubblicat", r"gepubliceerd", r"publicad", r"publicat",
    r"opublikowan", r"paskelbt", r"julkaist", r"δημοσιευ", r"publikovan", r"publicerad", r"offentliggjort",
    r"result", r"resultat", r"ergebnis", r"risultat", r"uitslag", r"wynik", r"rezultat", r"tulokset", r"αποτελεσμα",
    r"vysledk", r"announce", r"annonce", r"bekanntgegeben", r"annunciat", r"bekendgemaakt", r"anunciad",
    r"evaluation", r"evaluat", r"valutazion", r"beoordel", r"avaliac", r"ocen", r"vertinim", r"arvioi",
    r"αξιολογησ", r"hodnocen", r"grant\s+agreement", r"signature", r"start\s+of\s+the\s+project", r"project\s+start",
    r"information\s+session", r"info\s*day", r"webinar", r"infodag", r"updated", r"aktualisiert", r"mis\s+a\s+jour",
)

# Says that the date after it is when an event happens.
EVENT_RE = _words(
    r"(?:event\s+)?dates?\s*:", r"when\s*:", r"datum\s*:", r"data\s*:", r"fecha\s*:", r"kdy\s*:", r"milloin\s*:",
    r"ημερομηνια\s*:", r"ποτε\s*:", r"wann\s*:", r"quand\s*:", r"quando\s*:", r"wanneer\s*:", r"laikas\s*:",
    r"kada\s*:", r"termin\s*:", r"datumi?\s*:", r"aika\s*:", r"dato\s*:",
    r"(?:will\s+)?takes?\s+place(?:\s+on)?", r"will\s+be\s+held(?:\s+on)?", r"is\s+held\s+on", r"se\s+tiendra",
    r"aura\s+lieu", r"se\s+deroulera", r"findet", r"si\s+terra", r"si\s+svolgera", r"vindt\s+plaats",
    r"plaatsvindt", r"realiza-se", r"decorre", r"tera\s+lugar", r"tendra\s+lugar", r"se\s+celebrara",
    r"odbedzie\s+sie", r"vyks", r"jarjestetaan", r"πραγματοποιηθει", r"θα\s+διεξαχθει", r"se\s+uskutecni",
    r"probehne", r"ager\s+rum", r"finder\s+sted", r"avholdes", r"conference\s+on", r"festival",
)

# Where a sentence ends: a new line; ; ! ?; a full stop after a word of 3+ letters, a year, a time or ')'
BOUNDARY_RE = re.compile(r"\n|[;!?](?:\s|$)|\.(?=\s|$)(?:(?<=[^\W\d_]{3}\.)|(?<=(?:19|20)\d\d\.)"
                         r"|(?<=\d[:.]\d\d\.)|(?<=\)\.))")
