"""Places in the text: what a user of the city facet and of place autocomplete relies on."""
from __future__ import annotations

import dataclasses

import pytest

from indexer.places import PlaceMention, find_places, suggest_places


def names(title: str, text: str, language: str | None) -> list[str]:
    return [p.name for p in find_places(title, text, language)]


def test_prato_the_city_not_the_meadow_in_italian():
    assert names("", "Il prato davanti alla scuola è stato seminato di nuovo.", "it") == []
    assert names("", "A Prato il riuso dei tessuti è una tradizione.", "it") == ["Prato"]
    place = find_places("Comune di Prato: il piano per il tessile circolare", "", "it")[0]
    assert (place.kind, place.country, place.geonameid) == ("city", "IT", 3169921)


def test_a_sentence_starting_with_the_word_is_not_the_city_unless_supported():
    assert names("", "Prato e bosco sono stati curati dai volontari.", "it") == []
    found = names("", "Prato ha approvato il piano. La Toscana lo finanzia.", "it")
    assert "Prato" in found


def test_nice_the_city_not_the_adjective_in_english():
    assert names("Nice Ideas For A Greener Kitchen", "Nice work! It is a nice day.", "en") == []
    assert names("", "The summit will be held in Nice next spring.", "en") == ["Nice"]
    assert find_places("", "Delegates travelled to Nice.", "en")[0].country == "FR"


def test_bath_reading_split_as_words_are_not_places():
    text = "Reading is good for you. Split the dough in two. Bath time for the kids."
    assert names("", text, "en") == []
    assert set(names("", "Repair cafés opened in Reading and in Bath.", "en")) == {"Reading", "Bath"}


def test_essen_the_city_not_the_meal_in_german():
    assert names("", "Das Essen war gut. Beim Essen reden wir über übriges Essen.", "de") == []
    assert names("", "Die Stadt Essen eröffnet ein Reparaturzentrum.", "de") == ["Essen"]
    assert names("", "Ob im Hof oder in der Halle: kompostieren geht überall.", "de") == []
    assert set(names("", "Auch Basel und Bern prüfen das Modell.", "de")) == {"Basel", "Bern"}
    assert names("", "Firmen aus München, Nürnberg und Augsburg.", "de") == \
        ["Munich", "Nuremberg", "Augsburg"]


def test_districts_are_not_cities_of_their_own():
    assert names("", "Pest control in the kitchen. Buda is a dog's name.", "en") == []
    assert names("", "Recycling in Budapest and Derry.", "en") == ["Budapest", "Derry"]


def test_abbreviations_only_where_they_are_names():
    assert names("", "Free delivery across the UK.", "en") == ["United Kingdom"]
    assert names("", "The NICE guidance on waste in hospitals was updated.", "en") == []


def test_words_that_are_towns_in_polish_czech_and_english():
    assert names("", "Łódź, wiosła i kamizelki można wypożyczyć na miejscu.", "pl") == []
    assert names("", "Władze Łodzi przeznaczą stare przędzalnie na mieszkania.", "pl") == ["Łódź"]
    assert names("", "Most bude opraven z recyklovaného betonu.", "cs") == []
    assert names("", "Město Most rozdá kompostéry.", "cs") == ["Most"]
    assert names("", "Sale ends Sunday, everything must go.", "en") == []


def test_greek_names_and_their_genitive():
    found = names("", "Σχολεία της Θεσσαλονίκης και της Αθήνας στην Ελλάδα.", "el")
    assert found == ["Thessaloniki", "Athens", "Greece"]


def test_unknown_language_still_finds_unambiguous_places():
    assert names("", "Partners from Kaunas, Ljubljana and Tallinn met.", None) == \
        ["Kaunas", "Ljubljana", "Tallinn"]
    assert find_places("", "", None) == [] and find_places(None, None, None) == []  # type: ignore[arg-type]


def test_inflected_lithuanian_forms_are_the_city():
    found = find_places("", "Kaune atidarytas pakartotinio naudojimo centras. Kauno miesto "
                        "savivaldybė kviečia gyventojus.", "lt")
    assert [p.name for p in found] == ["Kaunas"]
    assert names("", "Vilniuje ir Klaipėdoje vyks mugės.", "lt") == ["Vilnius", "Klaipėda"]


def test_inflected_forms_in_polish_finnish_and_czech():
    assert names("", "Spotkanie odbędzie się w Krakowie.", "pl") == ["Kraków"]
    assert names("", "Kierrätyskeskus avattiin Helsingissä.", "fi") == ["Helsinki"]
    assert names("", "Konference se konala v Praze.", "cs") == ["Prague"]


def test_exonyms_map_to_one_place():
    hague = {find_places("", f"Het overleg vond plaats in {n}.", None)[0] for n in
             ("Den Haag", "The Hague", "La Haye", "L'Aia", "'s-Gravenhage")}
    assert [p.name for p in hague] == ["The Hague"]
    brussels = {find_places("", f"Meeting in {n} today.", None)[0] for n in
                ("Bruxelles", "Brussel", "Brüssel", "Bruxelas", "Bruselas")}
    assert [p.name for p in brussels] == ["Brussels"]
    assert names("", "Köln, Cologne, Kolonia", None) == ["Cologne"]
    assert names("", "Wilno i Vilnius", "pl") == ["Vilnius"]


@pytest.mark.parametrize("language, local, english", [
    ("de", "Wien", "Vienna"), ("fr", "Bruxelles", "Brussels"), ("bg", "София", "Sofia"),
    ("hr", "Zagreb", "Zagreb"), ("el", "Λευκωσία", "Nicosia"), ("cs", "Praha", "Prague"),
    ("da", "København", "Copenhagen"), ("et", "Tallinn", "Tallinn"), ("fi", "Helsinki", "Helsinki"),
    ("el", "Αθήνα", "Athens"), ("hu", "Budapest", "Budapest"), ("it", "Roma", "Rome"),
    ("lv", "Rīga", "Riga"), ("lt", "Vilnius", "Vilnius"), ("mt", "Valletta", "Valletta"),
    ("pl", "Warszawa", "Warsaw"), ("pt", "Lisboa", "Lisbon"), ("ro", "București", "Bucharest"),
    ("sk", "Bratislava", "Bratislava"), ("sl", "Ljubljana", "Ljubljana"), ("sv", "Stockholm", "Stockholm"),
    ("es", "Madrid", "Madrid"), ("nl", "Amsterdam", "Amsterdam"), ("ga", "Baile Átha Cliath", "Dublin"),
])
def test_every_eu_capital_under_its_own_name(language, local, english):
    found = find_places("", f"Partners met in {local}, {local} hosted the meeting.", language)
    assert [(p.name, p.kind) for p in found] == [(english, "city")]


def test_no_place_in_a_text_without_one():
    text = ("Circular procurement: how to write tender criteria for reused furniture. "
            "Home | About | Contact | Privacy policy")
    assert find_places("Guide to circular procurement", text, "en") == []


def test_most_salient_first_without_duplicates():
    found = find_places("Ghent recycles textiles", "Ghent works with Antwerp. Ghent and Belgium.",
                        "en")
    assert [p.name for p in found] == ["Ghent", "Antwerp", "Belgium"]
    assert len(found) == len(set(found))


def test_place_mentions_are_frozen_values():
    place = find_places("", "Lisboa e Porto lideram.", "pt")[0]
    assert place == PlaceMention("Lisbon", "city", "PT", place.geonameid)
    with pytest.raises(dataclasses.FrozenInstanceError):
        place.name = "Lisboa"  # type: ignore[misc]


@pytest.mark.parametrize("prefix, language, expected", [
    ("Köl", "de", "Cologne"), ("Brux", "fr", "Brussels"), ("Wiln", "pl", "Vilnius"),
    ("Kaun", "lt", "Kaunas"), ("Λιθ", "el", "Lithuania"), ("Helsin", "fi", "Helsinki"),
])
def test_suggest_places_completes_names_in_several_languages(prefix, language, expected):
    suggested = suggest_places(prefix, language, 5)
    assert suggested and suggested[0].name == expected
    assert len(suggested) <= 5 and len(set(suggested)) == len(suggested)


def test_suggest_places_prefers_places_of_the_users_language():
    assert suggest_places("Gra", "de", 3)[0].name == "Graz"
    assert suggest_places("Gra", "es", 3)[0].name == "Granada"
    assert suggest_places("Gra", "lt", 3)[0].name == "Greece"  # Graikija
    assert "Greece" not in [p.name for p in suggest_places("Gra", "en", 3)]


def test_suggest_places_empty_prefix_gives_nothing():
    assert suggest_places("", "en", 5) == []


def test_a_month_is_not_the_town_of_the_same_name():
    # "March" is a town in England and "Augusta" one in Sicily, but beside a day or a year,
    # or in a language whose month it is, the word is the month
    text = ("Applications ran between March and November 2024; the programme in Porto "
            "continues until 20 March 2026.")
    assert names("", text, "en") == ["Porto"]
    assert names("", "Od 2 augusta 2027 u Zagrebu.", "hr") == ["Zagreb"]
    assert "Augusta" in names("", "Augusta ospita il forum sul riuso.", "it")
