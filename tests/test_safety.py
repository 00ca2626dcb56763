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
        "j'ai pris des captures d'écran des messages",
        "",
        "🙂🙂🙂",
    ],
)
def test_ordinary_incidents_are_not_emergencies(text):
    assert detect_danger(text) is None
