"""Rule-based safety net for danger to life, independent of the statistical model.

A message matching any of these patterns is answered with the emergency numbers first, whatever intent the model
predicted (see `bot.nlu.components.EmergencyOverride`). The patterns run on folded text (lower case, no accents) and
deliberately lean towards recall: a false alarm costs one extra paragraph, a miss can cost a life. The incident the
victim described is still diagnosed after the emergency message.
"""

from __future__ import annotations

import re
from typing import Optional

from bot.text import fold

_ME = r"(?:me |m |m |moi )"
_HURT_SELF = r"(?:tuer|suicider|pendre|foutre en l ?air|flinguer|supprimer|tailler les veines|ouvrir les veines|couper les veines|jeter sous|jeter du|jeter par|faire du mal|scarifier|mutiler|noyer)"
_HURT_OTHER = (
    r"(?:tuer|buter|crever|egorger|poignarder|planter|tabasser|frapper|cogner|defoncer|massacrer|bruler|violer|"
    r"descendre|etrangler|fracasser|faire la peau|casser la gueule|peter la gueule|faire du mal|trouer|abattre|"
    r"battre|casser (?:la tete|les jambes|les genoux|les dents|les bras)|trancher la gorge|tirer dessus|violer)"
)
_TARGET = r"(?:me |m |m |te |t |nous |vous |la |le |l |les |lui |leur |ma |mon |mes )"
# Third-person threats ("il va me tuer"); first-person ones are quoted threats aimed at the victim ("je vais te
# tuer"), so they must not target "me" (that is the suicide list s job).
_THREAT = (
    r"(?:va|vont|veut|veulent|voulait|allait|allaient|ira|iront|menace\w* de|menac\w* de|promet de|jure de|compte|"
    r"venir|vient|viendra|"
    r"arrive pour|pourrait|peut|capable de)"
)
_QUOTED_THREAT = r"(?:vais|vas|allons|allez) (?:te |t |vous |la |le |l |les |lui |leur |ta |ton |tes |vos )"
_MINOR = r"\b(?:enfant|fils|fille|gamin|gamine|petit|petite|ado|adolescent|adolescente|neveu|niece|eleve|mineur|mineure|(?:[1-9]|1[0-7]) ?ans)\b"

SUICIDE = [
    r"\bsuicid",
    r"\b(?:en finir|finir avec (?:la|ma) vie|mettre fin a (?:mes jours|ma vie|tout))",
    rf"\b{_ME}{_HURT_SELF}",
    r"\bse (?:tuer|suicider|pendre|faire du mal|scarifier|jeter sous|jeter du|jeter par|foutre en l ?air)",
    r"(?:envie|besoin|prefere|prefererais|voudrais|veux|veu|veut|vais|aimerais|pret a|prete a) (?:de )?(?:mourir|crever|disparaitre pour)",
    r"\bplus (?:envie|la force|le courage|aucune raison|de raison) de vivre",
    r"\b(?:veux|veu|veut|peux|supporte|vais) (?:plus|pus) vivre",
    r"\bmourir (?:plutot|ce soir|cette nuit|aujourd hui)",
    r"\bdisparaitre (?:pour de bon|pour toujours|a jamais|definitivement)",
    r"\b(?:idees|pensees) (?:noires|suicidaires|de mort)",
    r"\bplus d issue\b",
    r"\b(?:avaler|prendre|pris|avale) (?:tous|toutes|toute|la boite|les|mes) (?:\w+ )?(?:cachets|medicaments|medocs|pilules|comprimes|somniferes)",
    r"\b(?:vide|avale)\w* (?:la|une|toute la|toute une) boite de\b|\b\d+ (?:cachets|comprimes|pilules|medocs)\b",
    r"\b(?:sauter|me jeter|se jeter) (?:du|d un|de la|par la|par dessus|sous|dans le vide)\b",
    # "sur le pont, je vais sauter"; not "je veux sauter une étape" (an object follows)
    r"\b(?:vais|veux|va|vas|allais|voulais|pret a|prete a) (?:me jeter|sauter)\b"
    r"(?! (?:une|un|le|la|les|des|l|cette|ce|cet|mon|ma|mes|ton|ta|son|sa|au|aux|a|de|en|sur|ce|dessus)\b)",
    r"\b(?:avale|avaler|pris|prendre|bu|boire) (?:une|la|toute la|deux|2|plusieurs|des|mes|plein de|trop de) "
    r"(?:boites? de |plaquettes? de )?(?:cachets|medicaments|medocs|pilules|comprimes|somniferes|anxiolytiques)",
    r"\b(?:la vie|ma vie) (?:n a|a) plus (?:de|aucun) sens",
    # methods and farewells
    r"\b(?:ouvrir|ouvert|allumer|allume|laisser|laisse) le gaz\b",
    r"\b(?:j ai|deja) (?:deja )?(?:la|une) corde\b",
    r"\b(?:lettre|message|mot|mail) d adieu|\bdire adieu\b|\bmes adieux\b",
    r"\bne (?:serai|serais|sera|seront) plus la\b",
    r"\bpersonne ne (?:me |m )?regrettera",
    r"\b(?:et|ce soir|cette nuit|demain) (?:ce sera|tout sera|c est|ca sera) (?:fini|termine)\b",
    r"\bje suis (?:un|une) (?:poids|fardeau)\b",
    r"\b(?:mettre|mis|mets|met|mettrai) fin a (?:mes|ses|leurs|tes|vos) jours|\bfin a (?:ma|sa|ta|leur) vie\b",
    r"\brejoindre (?:mon|ma|mes) \w+ (?:la haut|au ciel|au paradis)",
    r"\b(?:medicaments|cachets|medocs|pilules|comprimes) (?:sont )?(?:prets|prepares|sur la table)",
    r"\bprepare (?:tous |toutes )?(?:mes|les) (?:medicaments|cachets|medocs|pilules|comprimes)",
    r"\b(?:automutil|scarifi)",
    # self-harm, said plainly
    r"\b(?:ouvert|ouverte|coupe|coupee|taillade|tailladee)s? (?:les |le |mes |mon )?(?:veines|poignets|bras|cuisses)\b",
    r"\bjusqu au sang\b|\b(?:brule|brulee) (?:\w+ ){0,3}expres\b|\b(?:me|suis) (?:recoupe|recoupee|griffe)\b",
    r"\bme brule avec\b|\bme tape la tete contre\b|\bpasser a l acte\b|\b(?:serai\w*|mieux) sans moi\b|\bserai\w* mieux sans (?:lui|elle)\b",
    r"\b(?:serai|serais) plus (?:un|une) (?:poids|probleme|fardeau|charge)\b|\b(?:c est|c) fini pour moi\b",
    r"\b(?:ce soir|cette nuit|demain) tout (?:s arrete|sera fini|se termine)\b",
    r"\b(?:veux|veu|voudrais|vais) (?:plus|pus|pas) (?:me reveiller|exister)\b",
    r"\b(?:veux|veu|veut|voulait|voudrais|envie de) disparaitre\b(?! (?:sous terre|d|de|des|du)\b)",
    r"\b(?:partir|m endormir|m endors|dormir) pour (?:toujours|de bon)\b|\bdormir longtemps\b",
    r"\b(?:vais|va) faire une (?:connerie|betise)\b",
    r"\b(?:a quoi bon|sert a rien de) (?:continuer|vivre)\b",
    r"\b(?:aucune|plus de|plus aucune) raison de (?:continuer|rester|vivre)\b(?! a | chez| dans)",
    r"\b(?:pas|plus|pus) (?:la force|le courage) de (?:continuer|vivre|tenir)\b",
    r"\bpus (?:envie|le gout) de vivre|\bchu rendu au bout\b",
    r"\b(?:c est|c) (?:mon dernier (?:msg|message|jour)|ma derniere (?:journee|nuit|soiree))\b|\bmon dernier jour\b",
    r"\bplus de nouvelles de moi\b|\bplus (?:la peine|besoin) de me chercher\b",
    r"\b(?:ecrit|laisse|prepare|poste|mis)\w* (?:une |un |le |la )?(?:lettre|mot|enveloppe) (?:pour|a|sous) "
    r"(?:(?:ma|mes|ses|sa|mon|son) (?:famille|enfants|parents|mere|pere|femme|mari|soeur|frere|petits)|chacun)",
    r"\b(?:je suis|je sui|suis|chu|assis|assise|debout) (?:sur|au bord)(?: du| de la| de l| le| la| les)? "
    r"(?:toit|pont|parapet|passerelle|falaise|rebord|voie|voies|rails)\b",
    r"\bau bord (?:du pont|de la falaise|du vide|de l eau|des rails|de la voie|du fleuve)\b",
    r"\bmoteur allume\b.{0,60}\bgarage\b|\bgarage\b.{0,60}\bmoteur allume\b|\brechaud a charbon\b",
    r"\bcorde (?:est |deja )?(?:attachee|prete|accrochee)|\b(?:mis|prepare|achete) une corde\b",
    r"\b(?:me|se) tirer une balle\b",
]
VIOLENCE = [
    rf"\b{_THREAT} {_TARGET}?{_HURT_OTHER}",
    rf"\b{_QUOTED_THREAT}{_HURT_OTHER}",
    r"\bmenace\w* (?:de mort|de mort|physique)",
    r"\b(?:tuer|buter|egorger|crever) (?:ma|mon|mes|toute ma|ta|ton|tes|sa|son|ses)\b",
    r"\b(?:avec|a|sorti|sort|brandi|brandit|montre|porte) (?:un|une|son|sa|des) (?:couteau|arme|flingue|pistolet|fusil|revolver|machette|hache|batte)",
    r"\b(?:m a|l a|les a|nous a|m ont) (?:frappee?s?|tabassee?s?|battue?s?|etranglee?s?|violee?s?|agressee?s?|cognee?s?)",
    r"\b(?:est|sont|attend|attendent|rode|tourne|poste|garee?|guette|se trouve) (?:juste )?(?:devant|en bas de|dans) "
    r"(?:chez moi|chez nous|ma porte|notre porte|mon domicile|ma maison|la maison|l ecole|mon travail|ma rue|"
    r"l immeuble|mon immeuble|le jardin|mon jardin)",
    # violence happening now: domestic violence, sequestration, someone at the door
    r"\b(?:me|nous|le|la|les) (?:frappe|frappent|bat|battent|cogne|cognent|sequestre|sequestrent|etrangle|etranglent|viole|violent)\b",
    r"\bsequestr",
    r"\b(?:tape|tapent|frappe|frappent|cogne|cognent|sonne|sonnent|crie|hurle|tambourine|fesse) (?:a|contre|sur|dans) (?:ma|notre|la) porte",
    r"\b(?:est|sont) (?:entre|entres|rentre|rentres) chez (?:moi|nous)\b|\b(?:essaie|essaye|tente) d (?:entrer|rentrer) chez",
    r"\b(?:je suis|je sui|suis|chu|on est|nous sommes|je me suis|me suis) (?:cache|cachee|enferme|enfermee|barre|barree)s? "
    r"(?:dans|sous|derriere)\b|\bcachee? (?:sous le lit|dans l armoire|dans les toilettes)",
    r"\b(?:me|nous|la|le) (?:tient|tiennent) (?:enfermee?s?|le bras|par le cou)|\bprise? par le cou\b",
    r"\b(?:il|elle|ils) (?:me|nous) (?:tue|tuera|tuerait|tueront)\b|\bmenacee? (?:avec |d )(?:un|une) (?:couteau|arme)\b",
    r"\b(?:me|te|nous|vous|la|le|les|lui) (?:trancher la gorge|poignarder|egorger|buter)\b",
    r"\ben train de (?:frapper|battre|tabasser)\b|\bm empeche de sortir\b",
    r"\b(?:frappe|bat|tape|cogne|gifle) (?:ma|mon|sa|son|notre) (?:mere|pere|frere|soeur|femme|mari|fille|fils|copine|enfant)",
    r"\bse fait (?:frapper|battre|tabasser)\b|\b(?:me|m) tape depuis\b",
    r"\bm a (?:poussee?|bousculee?|giflee?)\b(?! a )|\bvient de me (?:gifler|frapper|pousser)\b",
    r"\b(?:donne|donner|mis|mit) (?:un|des) coups? de (?:poing|pied|couteau|tete)\b",
    r"\binterdiction de (?:m|nous|l) approcher\b",
    r"\b(?:il|elle|ils) (?:sera|seront) (?:a ma porte|devant chez)|\bseront? a (?:ma|ta|notre) porte\b",
    r"\b(?:il|elle|ils) (?:est|sont) (?:la dehors|dans le hall|en bas de chez)\b|\bil s en vient\b",
    r"\b(?:me|nous) (?:suit|suivent|suivait) (?:en voiture|depuis (?:la sortie|le metro|la gare|l ecole|chez))|"
    r"\bm a suivie? jusqu",
    r"\b(?:regarde|observe|filme) par (?:la|ma) fenetre\b|\b(?:gare|attend|poste) au coin de (?:ma|notre) rue\b",
    r"\b(?:un carnage|une tuerie)\b|\b(?:venir|va|vais|vont) tirer sur\b|\btirer sur (?:nous|moi|eux)\b",
    r"\b(?:charge|sorti|pris)\w* (?:l arme|le fusil|la carabine|son arme|sa carabine|son fusil|mon arme|ma carabine)\b|\barme de service\b",
    r"\ba coups? de (?:batte|couteau|poing|poings|pied|pieds|barre|marteau|hache|machette)",
    r"\b(?:barres? de fer|battes? de baseball)\b",
    r"\b(?:il|elle|ils|elles) (?:arrive|vient|viennent|debarque\w*|est en route|sont en route) (?:pour )?(?:me|nous) (?:trouver|faire|regler|tuer)",
    r"\ben danger (?:de mort|immediat)|\b(?:ma|sa|leur|notre) vie (?:est )?en danger|\b(?:je suis|on est|nous sommes) en danger\b",
    r"\b(?:je me sens|me sens|on se sent|nous nous sentons|je suis vraiment) en danger\b",
    r"\bpeur (?:pour (?:ma|sa|notre|leur|la) vie|qu (?:il|elle|ils|elles|on) (?:me|nous|la|le|les) (?:tue|tuent|frappe|frappent))",
    r"\bs en prendre (?:a|aux) (?:moi|nous|mes|ma|mon|ses|sa|son|nos|notre|mon|ma famille|mes enfants|physiquement)",
    r"\b(?:me|nous|lui|leur) faire la peau\b",
]
_CHILD_MEETING = (
    r"\b(?:rendez vous|rdv|rencontrer|rejoindre|retrouver|voir en vrai|venir (?:la|le) chercher|aller chez (?:lui|elle)|"
    r"chez lui|venir seule?|(?:passer|passera) la prendre|attend(?:ra|rait)? (?:en ce moment )?(?:devant|sur le parking|a la sortie)|"
    r"a l hotel|rejoigne|vienne|sorte|dans la voiture d un|(?:va|vais|aller) voir (?:un|une)|"
    r"enlever ses vetements|se deshabiller|messages sexuels|(?:le|la) voir)\b"
)
_CHILD_DANGER = (
    r"\b(?:disparu|disparue|fugue|enleve|enlevee|kidnapp\w*|pas rentree?|injoignable|introuvable)\b|"
    r"\b(?:adulte|homme|majeur|inconnu|inconnue|monsieur|type|mec|gars|grand|animateur|predateur|pedophile|quelqu un|"
    r"(?:1[89]|[2-9]\d) ans)\b"
)

_SUICIDE_RE = [re.compile(p) for p in SUICIDE]
_VIOLENCE_RE = [re.compile(p) for p in VIOLENCE]
_MINOR_RE = re.compile(_MINOR)
_CHILD_MEETING_RE = re.compile(_CHILD_MEETING)
_CHILD_DANGER_RE = re.compile(_CHILD_DANGER)
# The child must be the one missing: "ma fille de 14 ans a fugué", not "mon fils a payé, le vendeur a disparu".
_CHILD_MISSING_RE = re.compile(
    _MINOR + r"(?: \w+){0,3} (?:a|est|s est|n est|ne) (?:disparue?|fuguee?|enlevee?|kidnappee?|pas rentree?|rentre pas|"
    r"introuvable)\b"
)
# "mon enfant est en danger", "ma fille de 13 ans est en danger avec ce type"
_CHILD_IN_DANGER_RE = re.compile(
    _MINOR + r"(?: \w+){0,4} (?:est|sont|serait|seraient|reste|se trouve)(?: \w+)? en danger\b"
)


_CONTRACTION_RE = re.compile(r"\bj(veux|veu|vais|vai|sui|suis|me|m)\b")
# Abuse of a child told by an adult who saw it: "le copain de sa maman lui fait des choses", "il le tape".
_CHILD_ABUSE_RE = re.compile(r"\b(?:lui|leur) fait des choses\b|\b(?:le|la|les) tape quand\b|\bdes marques sur\b")


def detect_danger(text: str) -> Optional[str]:
    """Return 'suicide', 'violence' or 'child' when the message describes a danger to life, else None."""
    # Apostrophes and hyphens become spaces: victims write "m'a", "m a" and "ma" alike.
    folded = " ".join(fold(text).replace("'", " ").replace("-", " ").split())
    # SMS contractions: "jveux", "jvais", "jsuis", "jme" read as "je veux", "je vais"…
    folded = _CONTRACTION_RE.sub(r"je \1", folded)
    if not folded:
        return None
    if any(p.search(folded) for p in _VIOLENCE_RE):
        return "violence"
    if any(p.search(folded) for p in _SUICIDE_RE):
        return "suicide"
    if _MINOR_RE.search(folded) and (
        _CHILD_MISSING_RE.search(folded)
        or _CHILD_IN_DANGER_RE.search(folded)
        or (_CHILD_MEETING_RE.search(folded) and _CHILD_DANGER_RE.search(folded))
        or _CHILD_ABUSE_RE.search(folded)
    ):
        return "child"
    return None
