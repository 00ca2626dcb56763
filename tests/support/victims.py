"""How victims describe each incident, in plain words, for the dialogue tests that need a given incident.

Clients may send `/intent` payloads only where the bot offered them, so the tests reach an incident as a victim
does: by describing it. Each line must be diagnosed as its incident by the trained model (test_journey checks it).
"""

DESCRIPTIONS = {
    "hameconnage": "j'ai reçu un sms de chronopost avec un lien pour payer des frais de livraison de mon colis",
    "rancongiciel": "tous les fichiers de notre serveur sont chiffrés et un message demande une rançon en bitcoin",
    "piratage_compte": "on a piraté mon compte facebook, je ne peux plus me connecter et le mot de passe a changé",
    "faux_support_technique": "une fenêtre bloque mon ordinateur et dit d'appeler le support microsoft au numéro affiché",
    "sextorsion": "j'ai reçu un mail qui dit qu'on m'a filmé par ma webcam sur un site porno et qu'il faut payer en bitcoin",
    "arnaque_achat": "j'ai payé une console sur leboncoin et le vendeur ne l'a jamais envoyée, il ne répond plus",
    "fraude_carte_bancaire": "il y a des paiements inconnus sur mon compte avec ma carte bancaire alors que je l'ai toujours",
    "faux_conseiller_bancaire": "un faux conseiller de ma banque m'a appelé et m'a fait valider des opérations avec mon appli",
    "fraude_virement": "un faux fournisseur nous a demandé de changer son RIB et on a payé la facture sur le mauvais compte",
    "cyberharcelement": "je reçois des insultes et des menaces tous les jours sur instagram, des gens se moquent de moi",
    "usurpation_identite": "quelqu'un a ouvert un crédit à mon nom avec une copie de ma carte d'identité",
    "escroquerie_placement": "j'ai investi sur une plateforme de trading crypto et je ne peux pas retirer mon argent",
    "arnaque_sentimentale": "je suis en couple en ligne avec un homme que je n'ai jamais vu et il me demande de l'argent",
    "logiciel_malveillant": "mon antivirus a détecté un virus sur mon ordinateur, il est très lent et des applis inconnues sont apparues",
    "violation_donnees": "le fichier clients de notre entreprise a été volé et des données personnelles ont fuité",
    "deni_de_service": "notre site internet est inaccessible à cause d'une attaque par déni de service, un trafic énorme",
    "defiguration": "la page d'accueil de notre site internet a été remplacée par un message de hackers",
    "spam": "je reçois des dizaines de mails publicitaires indésirables chaque jour, je veux que ça s'arrête",
}
