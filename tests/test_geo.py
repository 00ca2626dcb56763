"""French geography: the shipped data, postal codes, places typed by victims, distances, neighbours, CSIRTs."""

import math

import pytest

from bot import geo

METROPOLITAN = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}
OVERSEAS = {"971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"}


# --- the data -------------------------------------------------------------------------------------------------------
def test_every_departement_and_overseas_territory_is_there_with_its_reference_point():
    geography = geo.load()
    assert set(geography.departements) == METROPOLITAN | OVERSEAS
    for dep in geography.departements.values():
        assert dep.name and dep.region and dep.prefecture
        assert -90 <= dep.lat <= 90 and -180 <= dep.lon <= 180
        if dep.code in METROPOLITAN:  # mainland France and Corsica
            assert 41.3 < dep.lat < 51.2 and -5.2 < dep.lon < 9.6, dep


def test_every_commune_is_consistent_with_its_postal_code_and_departement():
    geography = geo.load()
    assert {c.departement for c in geography.communes} == set(geography.departements)
    for commune in geography.communes:
        assert commune.departement in geo.departements_for_postal_code(commune.postal_code), commune
        if not commune.located:  # the collectivités d'outre-mer and a few new communes (see the next tests)
            continue
        dep = geography.departements[commune.departement]
        limit = 150 if commune.departement in METROPOLITAN else 400
        assert geo.distance_km(commune.lat, commune.lon, dep.lat, dep.lon) < limit, commune


def test_csirt_regions_exist():
    regions = {dep.region for dep in geo.load().departements.values()}
    assert set(geo.load().csirts) <= regions


# --- postal codes ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "postal_code, departement",
    [
        ("75015", "75"),
        ("01000", "01"),
        ("13008", "13"),
        ("59000", "59"),
        ("95000", "95"),
        ("20000", "2A"),
        ("20090", "2A"),
        ("20190", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("20620", "2B"),
        ("97100", "971"),
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97500", "975"),
        ("97600", "976"),
        ("97133", "977"),
        ("97150", "978"),
        ("98600", "986"),
        ("98714", "987"),
        ("98800", "988"),
    ],
)
def test_postal_code_to_departement(postal_code, departement):
    assert geo.departement_for_postal_code(postal_code) == departement


@pytest.mark.parametrize(
    "postal_code",
    [
        "20191",
        "20700",
        "98000",
        "98400",
        "97800",
        "96000",
        "00100",
        "00000",
        "1234",
        "750155",
        "abcde",
        "2A000",
        "",
        None,
        " ",
    ],
)
def test_unknown_or_invalid_postal_codes_give_none(postal_code):
    assert geo.departement_for_postal_code(postal_code) is None


# --- places typed by victims -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, departement, commune",
    [
        ("je suis à Bordeaux", "33", "Bordeaux"),
        ("près de Lille", "59", "Lille"),
        ("y a des informaticiens de confiance près de Lille ?", "59", "Lille"),
        ("dans le 93", "93", None),
        ("un réparateur informatique sérieux dans le 92", "92", None),
        ("93", "93", None),
        ("en 2A", "2A", None),
        ("2b", "2B", None),
        ("c'est le 69", "69", None),
        ("33000", "33", "Bordeaux"),
        ("vous pouvez me proposer un prestataire proche du 69003 ?", "69", "Lyon"),
        ("Paris 15e", "75", "Paris"),
        ("Lyon 3ème", "69", "Lyon"),
        ("1er arrondissement de Paris", "75", "Paris"),
        ("Ajaccio", "2A", "Ajaccio"),
        ("je suis à Bastia", "2B", "Bastia"),
        ("20000", "2A", "Ajaccio"),
        ("Nouméa", "988", "Nouméa"),
        ("je suis en Guadeloupe", "971", None),
        ("la Réunion", "974", None),
        ("97150", "978", "Saint-Martin"),
        ("dans le Finistère", "29", None),
        ("un informaticien dans le Finistère svp", "29", None),
        ("en Gironde", "33", None),
        ("dans la Vienne", "86", None),  # the département...
        ("à Vienne", "38", "Vienne"),  # ...and the commune in Isère
        ("au Havre", "76", "Le Havre"),
        ("j'habite au Mans", "72", "Le Mans"),
        ("je suis à Châlons-en-Champagne", "51", "Châlons-en-Champagne"),
        ("Aix en Provence", "13", "Aix-en-Provence"),
        ("je suis à Toulouse, qui peut m'aider à nettoyer mon ordi", "31", "Toulouse"),
        ("ma mère a besoin qu'un technicien vienne chez elle à Rouen", "76", "Rouen"),
        ("Montreuil 93100", "93", "Montreuil"),
        ("je suis à saint denis de la réunion", "974", "Saint-Denis"),
    ],
)
def test_places_typed_by_victims(text, departement, commune):
    location = geo.locate(text)
    assert location is not None, text
    assert location.departement.code == departement
    assert (location.commune.name if location.commune else None) == commune


@pytest.mark.parametrize(
    "text, commune",
    [
        ("St Etienne", "Saint-Étienne"),
        ("ST-ETIENNE", "Saint-Étienne"),
        ("saint étienne", "Saint-Étienne"),
        ("Montpelier", "Montpellier"),
        ("Bordeau", "Bordeaux"),
        ("strasbourgh", "Strasbourg"),
        ("Toulouze", "Toulouse"),
        ("MARSEILLE", "Marseille"),
        ("Évry", "Évry-Courcouronnes"),
        ("evry", "Évry-Courcouronnes"),
        ("Schoelcher", "Schœlcher"),
        ("saint etiene", "Saint-Étienne"),
        ("ste maxime", "Sainte-Maxime"),  # in the Var, not "Sainte-Marie"
        ("je suis à Saint-Afrique", "Saint-Affrique"),  # not the Morbihan's "Le Saint"
    ],
)
def test_city_names_with_abbreviations_accents_and_typos(text, commune):
    location = geo.locate(text)
    assert (location.commune.name if location and location.commune else None) == commune


@pytest.mark.parametrize(
    "text",
    [
        "un réparateur d'ordi à Liège",
        "chu à Montréal, tu connais un technicien",
        "zzzz",
        "",
        "   ",
        "\x00\x01\x02",
        "a" * 10_000,
        "je cherche un prestataire de confiance",
        "je voudrais un prestataire en cybersécurité pour ma PME",
        "une PME de 30 personnes",
        "le 12 mars",
        "j'ai payé 15000",
        "je veux un technicien qui vienne à domicile",
        "99999",
        "dans le 20",
        "dans le 96",
        "en Bretagne",
        "je suis en Grande-Bretagne",
    ],
)
def test_no_french_place_gives_none(text):
    assert geo.locate(text) is None


# --- postal codes shared across a border (bot/geo/postal_exceptions.csv) --------------------------------------------
def test_postal_codes_shared_across_a_departement_border():
    assert geo.departements_for_postal_code("33220") == ("33", "24")
    assert geo.departements_for_postal_code("05110") == ("05", "04")
    assert geo.departements_for_postal_code("01200") == ("01", "74")
    assert geo.departements_for_postal_code("33000") == ("33",)
    assert geo.departements_for_postal_code("99999") == ()
    # The code alone stands for its own département; with the commune across the border, for that one.
    assert geo.locate("33220").departement.code == "33"
    for text, departement, commune in [
        ("33220 Port-Sainte-Foy-et-Ponchapt", "24", "Port-Sainte-Foy-et-Ponchapt"),
        ("je suis à Port-Sainte-Foy-et-Ponchapt", "24", "Port-Sainte-Foy-et-Ponchapt"),  # not Le Port (974)
        ("Fougueyrolles 33220", "24", "Fougueyrolles"),
        ("05110 Claret", "04", "Claret"),
        ("Éloise", "74", "Éloise"),
    ]:
        location = geo.locate(text)
        assert (location.departement.code, location.commune.name) == (departement, commune), text


# --- places too vague, and places that are no commune ---------------------------------------------------------------
@pytest.mark.parametrize("text", ["Marne-la-Vallée", "je suis à Marne-la-Vallée", "près de marne la vallee"])
def test_marne_la_vallee_is_in_seine_et_marne_not_in_the_marne(text):
    assert geo.locate(text).departement.code == "77"


@pytest.mark.parametrize(
    "text, region, departements",
    [
        ("dans le 20", "Corse", {"2A", "2B"}),
        ("20", "Corse", {"2A", "2B"}),
        ("je suis en Corse", "Corse", {"2A", "2B"}),
        ("en Bretagne", "Bretagne", {"22", "29", "35", "56"}),
        ("on est en PACA", "Provence-Alpes-Côte d'Azur", {"04", "05", "06", "13", "83", "84"}),
    ],
)
def test_regions_and_the_number_20_are_too_vague(text, region, departements):
    assert geo.locate(text) is None
    name, deps = geo.too_vague(text)
    assert name == region and {d.code for d in deps} == departements


@pytest.mark.parametrize("text", ["je suis en Grande-Bretagne", "zzz", "", "j'ai 20 ans", "le 20 mars"])
def test_not_too_vague(text):
    assert geo.too_vague(text) is None


def test_prepositions_of_regions():
    assert geo.in_region("Auvergne-Rhône-Alpes") == "en Auvergne-Rhône-Alpes"
    assert geo.in_region("Hauts-de-France") == "dans les Hauts-de-France"
    assert geo.in_region("Grand Est") == "dans le Grand Est"
    assert geo.in_region("La Réunion") == "à La Réunion"


def test_homonyms_are_chosen_by_the_rest_of_the_message_or_offered_as_alternatives():
    location = geo.locate("Saint-Denis")
    assert location.departement.code == "93"
    assert [(c.name, c.departement) for c in location.alternatives] == [("Saint-Denis", "974")]
    assert geo.locate("je suis à Saint-Pierre en Martinique").departement.code == "972"
    assert geo.locate("Saint-Pierre 97410").departement.code == "974"


def test_older_messages_only_count_with_a_clear_statement():
    assert geo.locate("j'ai écrit à Orange hier", anchored_only=True) is None
    assert geo.locate("il est à Nice", anchored_only=True) is None
    assert geo.locate("je suis à Lyon et on a un rançongiciel", anchored_only=True).commune.name == "Lyon"
    assert geo.locate("Notre mairie de Laval est bloquée", anchored_only=True).departement.code == "53"


def test_labels_for_messages():
    assert geo.locate("Paris 15e").label == "Paris 15e"
    assert geo.locate("Bordeaux").label == "Bordeaux (Gironde)"
    assert geo.locate("dans le 93").label == "Seine-Saint-Denis (93)"
    assert geo.locate("75116").label == "Paris 16e"


# --- distances, neighbours, CSIRT ------------------------------------------------------------------------------------
def test_haversine_distances():
    paris, marseille, lyon = (geo.find_commune(n) for n in ("Paris", "Marseille", "Lyon"))
    assert geo.distance_km(paris.lat, paris.lon, marseille.lat, marseille.lon) == pytest.approx(661, rel=0.02)
    assert geo.distance_km(paris.lat, paris.lon, lyon.lat, lyon.lon) == pytest.approx(392, rel=0.02)
    assert geo.distance_km(48.0, 2.0, 48.0, 2.0) == 0
    # Across the antimeridian: Mata-Utu (Wallis) to Nouméa is about 2,100 km, not half the planet.
    assert geo.distance_km(-13.28, -176.17, -22.28, 166.46) == pytest.approx(2100, rel=0.05)


def test_chord_between_unit_vectors_gives_the_same_distance():
    for (lat1, lon1), (lat2, lon2) in [
        ((48.85, 2.35), (43.3, 5.37)),
        ((-13.28, -176.17), (-22.28, 166.46)),
        ((46.78, -56.18), (-20.88, 55.45)),
    ]:
        a, b = geo.unit_vector(lat1, lon1), geo.unit_vector(lat2, lon2)
        chord = math.dist(a, b)
        assert geo.chord_to_km(chord) == pytest.approx(geo.distance_km(lat1, lon1, lat2, lon2), abs=1e-6)


def test_neighbours_by_distance_between_prefectures():
    assert geo.neighbours("2A") == ("2B",)
    assert {"92", "93", "94"} <= set(geo.neighbours("75"))
    assert {"40", "24", "47", "16", "17"} <= set(geo.neighbours("33"))
    assert geo.neighbours("974") == ()
    # Guadeloupe and Martinique are about 169 km apart, across the sea: no neighbours, remote help instead.
    g = geo.load().departements
    assert 165 < geo.distance_km(g["971"].lat, g["971"].lon, g["972"].lat, g["972"].lon) < 175
    assert geo.neighbours("971") == () and geo.neighbours("972") == () and geo.neighbours("977") == ()
    assert geo.neighbours("00") == ()
    for code in geo.load().departements:
        assert code not in geo.neighbours(code)
        assert len(geo.neighbours(code)) <= geo.NEIGHBOUR_MAX_COUNT


def test_regional_csirt():
    assert geo.csirt_for("35").name == "Breizh Cyber"
    assert "Corse" in geo.csirt_for("2B").name or "Corsica" in geo.csirt_for("2B").name
    assert geo.csirt_for("971").name == "CSIRT-ATLANTIC"
    assert geo.csirt_for("69") is None  # Auvergne-Rhône-Alpes has no regional CSIRT
    assert geo.csirt_for("xx") is None


# --- the official geography (bot/geo/communes.csv, built by scripts/build_communes.py) -------------------------------
def test_every_current_commune_is_there_and_every_departement_has_some():
    geography = geo.load()
    # About 34,900 communes in 2026 (INSEE); the TAAF and Clipperton are left out.
    assert 34_500 <= len(geography.communes) <= 35_500
    assert {c.departement for c in geography.communes} == set(geography.departements)
    assert len({c.insee for c in geography.communes}) == len(geography.communes)
    assert sum(c.population for c in geography.communes) > 66_000_000
    assert all(c.postal_codes and c.postal_code == c.postal_codes[0] for c in geography.communes)


def test_nearly_every_commune_has_coordinates_and_those_without_are_known():
    communes = geo.load().communes
    without = [c for c in communes if not c.located]
    assert len(without) < 120
    # Not in the coordinates' source: the collectivités d'outre-mer, and communes created after it.
    assert {c.departement for c in without} <= {"975", "977", "978", "986", "987", "988", "15"}
    assert all(c.lat is None and c.lon is None for c in without)
    assert all(c.located for c in communes if c.departement in METROPOLITAN - {"15"})


def test_saint_affrique_is_found():
    for text in (
        "Saint-Affrique",
        "je suis à Saint-Affrique",
        "j'habite st affrique",
        "12400",
        "près de Saint Affrique",
    ):
        location = geo.locate(text)
        assert (location.commune.name, location.departement.code) == ("Saint-Affrique", "12"), text
        assert location.precise and location.commune.insee == "12208"
    assert geo.locate("12400 Saint-Affrique").postal_code == "12400"


@pytest.mark.parametrize(
    "text, departement, postal_code",
    [
        ("Saint-Martin 65000", "65", "65000"),  # Tarbes' code: the Saint-Martin of the Hautes-Pyrénées
        ("Saint-Martin 67220", "67", "67220"),  # its own code, in the Bas-Rhin
        ("je suis à Saint-Martin 54450", "54", "54450"),
        ("Saint-Denis 93", "93", "93200"),
        ("Saint-Denis 974", "974", "97400"),
        ("Saint-Denis (11)", "11", "11310"),
        ("je suis à saint denis de la réunion", "974", "97400"),
        ("Saint-Pierre 97500", "975", "97500"),
    ],
)
def test_homonyms_told_apart_by_postal_code_or_departement(text, departement, postal_code):
    location = geo.locate(text)
    assert location.commune is not None and location.departement.code == departement, text
    assert location.postal_code == postal_code and location.alternatives == ()


def test_homonyms_without_a_hint_take_the_most_populous_and_offer_those_of_comparable_size():
    location = geo.locate("Saint-Pierre")
    assert location.departement.code == "974"  # 85,000 inhabitants; the others have a few thousand or less
    assert location.alternatives == ()
    boulogne = geo.locate("je suis à Boulogne")
    assert boulogne.commune.name == "Boulogne-Billancourt"
    assert [c.name for c in boulogne.alternatives] == ["Boulogne-sur-Mer"]
    assert len(geo.locate("Saint-Martin").alternatives) <= geo.MAX_ALTERNATIVES


def test_small_communes_are_found_when_clearly_meant():
    for text in ("je suis à Bourg-et-Comin", "j'habite Espalion", "Espalion", "mairie de Conques-en-Rouergue"):
        location = geo.locate(text)
        assert location is not None and location.commune is not None and location.commune.population < 5_000, text
    # After a mere "à" in a sentence, a village of the same name as a foreign city is not read.
    assert geo.locate("un technicien à Montréal svp") is None
    assert geo.locate("j'ai un ami à Espalion qui s'y connaît") is None
    assert geo.locate("j'ai un ami à Saint-Félix-Lauragais qui s'y connaît").commune.name == "Saint-Félix-Lauragais"


def test_overseas_communes():
    assert geo.locate("je suis au Lamentin").commune.departement == "972"  # Le Lamentin, Martinique
    assert geo.locate("Mamoudzou").departement.code == "976"
    assert geo.locate("97150").commune.name == "Saint-Martin"
    assert geo.locate("j'habite Saint-Laurent-du-Maroni").departement.code == "973"
    papeete = geo.locate("Papeete")
    assert papeete.departement.code == "987" and papeete.commune.name == "Papeete"


def test_a_commune_without_coordinates_uses_its_departements_reference_point():
    noumea = geo.locate("je suis à Nouméa")
    assert noumea.commune.name == "Nouméa" and not noumea.commune.located and not noumea.precise
    dep = noumea.departement
    assert (noumea.lat, noumea.lon) == (dep.lat, dep.lon)
    assert noumea.label == "Nouméa (Nouvelle-Calédonie)"
    celles = geo.find_commune("Celles", "15")  # a commune nouvelle of the Cantal, too recent for the source
    assert celles is not None and not celles.located
    location = geo.locate("Celles 15170")
    assert location.commune == celles and (location.lat, location.lon) == (
        geo.departement("15").lat,
        geo.departement("15").lon,
    )
    # Préfectures that are no commune stand for their territory.
    assert geo.locate("Mata-Utu").departement.code == "986"


@pytest.mark.parametrize(
    "text",
    [
        "je suis à la maison",  # Maisons (Aude), a typo away
        "je suis à l'hôpital",  # L'Hôpital (Moselle), written without a capital
        "j'ai acheté un téléphone en ligne",  # Ligné (Loire-Atlantique)
        "je suis à la rue",  # Rue (Somme): no article in its name
        "ransomware ça veut dire quoi en français",  # Le François (Martinique), a typo away
        "il a pris la main à distance sur mon pc en plein écran",  # Plérin
        "merci c'est gentil",  # Gentilly
        "comment je signale ça",  # Commentry
        "je lui ai envoyé de l'argent",  # Argentan
        "est-ce que je peux déduire les frais de garde",  # La Garde
        "on a viré les fonds à un faux notaire",  # Vire Normandie
        "site de vente de bois de chauffage",  # Bois-Colombes
        "je suis en Suisse",  # Suisse (Moselle)
        "appelez le 01 23 45 67 89",  # a phone number, not the Ain
        "la personne ne répond plus",
    ],
)
def test_everyday_words_are_not_read_as_communes(text):
    assert geo.locate(text) is None, geo.locate(text)


def test_everyday_words_are_read_as_communes_with_a_capital_or_when_clearly_given():
    assert geo.locate("je suis à L'Hôpital").commune.departement == "57"
    assert geo.locate("57690 L'Hôpital").commune.departement == "57"
    assert geo.locate("je suis à Ligné").commune.name == "Ligné"
    assert geo.locate("je suis à tours").commune.name == "Tours"  # a big town: no capital needed
    assert geo.locate("la Réunion").commune is None  # the island, not the Lot-et-Garonne's village


def test_locate_is_fast_over_35000_communes():
    import time

    geo.locate("warm-up à Lyon")
    phrases = [f"je suis à {c.name} et j'ai un problème" for c in geo.load().communes[::350]]
    phrases += ["Montpelier", "je suis à Saint-Afrique", "j'ai été piraté " * 30]
    started = time.perf_counter()
    for text in phrases:
        geo.locate(text)
        geo.locate(text, anchored_only=True)
    assert (time.perf_counter() - started) / (2 * len(phrases)) < 0.005
