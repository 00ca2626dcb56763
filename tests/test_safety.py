"""The rule-based safety net for danger to life (bot/safety.py)."""

import pytest

from bot.safety import detect_danger


@pytest.mark.parametrize(
    "text, kind",
    [
        ("je vais me tuer ce soir", "suicide"),
        ("jvais me foutre en l air jen peux plus", "suicide"),
        ("J'ai envie de mourir depuis qu'il a publié les photos", "suicide"),
        ("je ne veux plus vivre comme ça, il me fait chanter", "suicide"),
        ("Je ne vois plus d issue", "suicide"),
        ("ma fille de 16 ans parle de se suicider à cause du groupe snap", "suicide"),
        ("j'ai des idées noires depuis l'arnaque", "suicide"),
        ("il va me tuer, il me l'a écrit sur insta", "violence"),
        ("mon ex menace de me frapper ce soir", "violence"),
        ("il m'a écrit je vais te buter", "violence"),
        ("il a un couteau et il est devant chez moi", "violence"),
        ("je reçois des menaces de mort par SMS", "violence"),
        ("mon fils de 12 ans a rendez-vous demain avec un adulte rencontré sur Fortnite", "child"),
        ("ma fille de 14 ans a disparu après avoir parlé à un inconnu sur snap", "child"),
        ("mon enfant est en danger, aidez moi", "child"),
        ("Mon fils de 11 ans est vraiment en danger avec cet homme", "child"),
        ("je me sens en danger depuis ses messages", "violence"),
        ("j'ai peur pour ma vie, il sait où j'habite", "violence"),
        ("il menace de s'en prendre à mes enfants si je ne paie pas", "violence"),
        ("il va me retrouver et me faire la peau", "violence"),
        ("je suis sur le toit de la résidence et je vais sauter", "suicide"),
        ("jai avalé une plaquette de somniferes", "suicide"),
        ("elle a pris plusieurs boites de medicaments apres le chantage", "suicide"),
        # said without the usual words
        ("jveu plus me reveiller demain, tout le monde a vu la video", "suicide"),
        ("je me suis ouvert les poignets dans la baignoire", "suicide"),
        ("c'est mon dernier message, merci quand même", "suicide"),
        ("j'ai laissé une lettre pour mes enfants sur la table de la cuisine", "suicide"),
        ("jsuis sur le pont depuis une heure a regarder l'eau", "suicide"),
        ("ils seraient mieux sans moi, j'ai tout perdu avec ce placement", "suicide"),
        ("mon neveu dit qu'il veut disparaître depuis que ses photos circulent", "suicide"),
        ("il m'a dit au téléphone qu'il allait me violer si je ne payais pas", "violence"),
        ("le gars menace de me casser les jambes, il sait où je travaille", "violence"),
        ("je me suis enfermée dans la salle de bain, il cogne contre la porte", "violence"),
        ("il frappe ma soeur en ce moment dans le salon", "violence"),
        ("mon ex a une interdiction de m'approcher et il est dans le hall de l'immeuble", "violence"),
        (
            "ma fille de 13 ans veut que je la dépose chez un homme de 30 ans rencontré sur discord, il dit qu'il viendra la voir",
            "child",
        ),
        ("mon fils de 8 ans ne rentre pas de l'école, il parlait à un inconnu sur un jeu", "child"),
    ],
)
def test_danger_is_detected(text, kind):
    assert detect_danger(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "on a piraté mon compte facebook",
        "le colis arrive chez moi demain d'après le SMS",
        "il menace de publier mes photos si je ne paie pas",
        "cette arnaque me tue, 300 euros perdus",
        "mes fichiers sont chiffrés, ils demandent une rançon",
        "je veux parler à un conseiller",
        "mon compte est en danger ?",
        "j'ai peur pour mes données bancaires",
        "je veux sauter une étape, c'est quoi le plus urgent",
        # harassment and ordinary wording that come close to the rules above: not emergencies
        "on sait où tu habites, tu vas le regretter, voilà le message que je reçois tous les soirs",
        "il menace de tout publier et de me ruiner la réputation au travail",
        "je veux disparaître d'internet, comment supprimer ces photos ?",
        "le pirate se cache derrière un faux profil Instagram",
        "un compte me suit depuis des semaines et commente toutes mes photos",
        "le technicien sera chez moi demain matin, il a dit qu'il arrive vers 9h",
        "le distributeur au coin de ma rue avait un drôle de lecteur de carte",
        "j'ai fait une bêtise, j'ai cliqué sur le lien du SMS",
        "je suis en train de taper mon code dans l'appli de la banque",
        "c'est un massacre sur mes avis Google depuis hier",
        "mon colis, il est en route depuis trois semaines",
        "l'account manager m'a poussé à investir 20 000 €",
        "je n'ai aucune raison de rester chez cette banque",
        "je lui ai envoyé mon dernier message hier, il ne répond plus",
        "j'ai pris des captures d'écran des messages",
        "",
        "🙂🙂🙂",
    ],
)
def test_ordinary_incidents_are_not_emergencies(text):
    assert detect_danger(text) is None
