"""The accessibility audit the statement reports: the pages the browser tests run axe on
(tests/browser/test_public_pages_in_browser.py reads this list, so the statement cannot
name a page the suite does not check), at each width."""

WIDTHS = (375, 1280)

# (what the page is, its address), in the order of the statement.
PAGES = [
    ("Tableau de bord", "/"),
    ("Liste des enjeux", "/enjeux/"),
    ("Page d'un enjeu", "/enjeux/urgence-sociale/"),
    ("Page d'une mesure", "/mesures/places-hebergement-urgence/"),
    ("Annuaire des acteurs", "/acteurs/"),
    ("Page d'un acteur", "/acteurs/prefecture-region-hauts-de-france/"),
    ("Données ouvertes", "/donnees/"),
    ("Déclaration d'accessibilité", "/accessibilite/"),
    ("Mentions légales", "/mentions-legales/"),
    ("Données personnelles", "/donnees-personnelles/"),
    ("Gestion des cookies", "/cookies/"),
    ("Plan du site", "/plan-du-site/"),
    ("API publique", "/api/"),
]

# The pages of text among them (the site's others have their own browser tests).
LEGAL = {
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/cookies/",
    "/plan-du-site/",
    "/api/",
}
