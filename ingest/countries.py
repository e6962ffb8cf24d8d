"""ITU member states: canonical names, aliases and ITU-D (BDT) regions.

Maps country names found in text or in filenames to a canonical English short
name and to one of the six ITU-D regions (:data:`REGIONS`).

The table lists the 193 UN member states plus the Holy See (an ITU member) and
Palestine (ITU observer, counted in the Arab States region), 195 entries in all.
Regions follow ITU-D's assignment: Arab States are the 22 Arab League members,
CIS the 11 Commonwealth of Independent States members, and Türkiye, Israel,
Georgia and Cyprus are in Europe.

Public API: :class:`Country`, :data:`REGIONS`, :func:`lookup_country`,
:func:`find_countries`, :func:`find_countries_in_filename`, :func:`region_of`,
:func:`all_countries`, :func:`countries_in_region`.

Indexes are built lazily on first use; importing the module only defines the
literal table below.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

__all__ = [
    "REGIONS",
    "Country",
    "all_countries",
    "countries_in_region",
    "find_countries",
    "find_countries_in_filename",
    "lookup_country",
    "region_of",
]

AFR = "Africa"
AME = "Americas"
ARB = "Arab States"
ASP = "Asia-Pacific"
CIS = "CIS"
EUR = "Europe"

REGIONS: tuple[str, ...] = (AFR, AME, ARB, ASP, CIS, EUR)


@dataclass(frozen=True)
class Country:
    """An ITU member state (or observer), with its ITU-D region."""

    name: str
    region: str
    iso2: str


# (canonical name, ISO 3166-1 alpha-2, ITU-D region, aliases separated by "|").
# Aliases are official long names, common variants and a few French/Spanish names.
# Adjectives and demonyms are deliberately absent (they cause false positives).
# fmt: off
_TABLE: tuple[tuple[str, str, str, str], ...] = (
    # --- Africa (44) ---
    ("Angola", "AO", AFR, "Republic of Angola"),
    ("Benin", "BJ", AFR, "Republic of Benin|Bénin"),
    ("Botswana", "BW", AFR, "Republic of Botswana"),
    ("Burkina Faso", "BF", AFR, "Burkina"),
    ("Burundi", "BI", AFR, "Republic of Burundi"),
    ("Cabo Verde", "CV", AFR, "Cape Verde|Republic of Cabo Verde|Cap-Vert"),
    ("Cameroon", "CM", AFR, "Republic of Cameroon|Cameroun|Camerún"),
    ("Central African Republic", "CF", AFR, "République centrafricaine|Centrafrique"),
    ("Chad", "TD", AFR, "Republic of Chad|Tchad"),
    ("Republic of the Congo", "CG", AFR, "Congo|Republic of Congo|Congo-Brazzaville|Congo (Republic of the)"),
    ("Democratic Republic of the Congo", "CD", AFR, "DR Congo|DRC|RDC|Congo-Kinshasa|Democratic Republic of Congo|Dem. Rep. Congo|Congo (Democratic Republic of the)|Congo, Democratic Republic of the|République démocratique du Congo"),
    ("Côte d'Ivoire", "CI", AFR, "Cote d'Ivoire|Ivory Coast|Republic of Côte d'Ivoire|Costa de Marfil"),
    ("Equatorial Guinea", "GQ", AFR, "Republic of Equatorial Guinea|Guinée équatoriale|Guinea Ecuatorial"),
    ("Eritrea", "ER", AFR, "State of Eritrea|Érythrée"),
    ("Eswatini", "SZ", AFR, "Kingdom of Eswatini|Swaziland"),
    ("Ethiopia", "ET", AFR, "Federal Democratic Republic of Ethiopia|Éthiopie|Etiopía"),
    ("Gabon", "GA", AFR, "Gabonese Republic|Gabón"),
    ("Gambia", "GM", AFR, "Republic of The Gambia|Gambie"),
    ("Ghana", "GH", AFR, "Republic of Ghana"),
    ("Guinea", "GN", AFR, "Republic of Guinea|Guinée"),
    ("Guinea-Bissau", "GW", AFR, "Republic of Guinea-Bissau|Guinée-Bissau"),
    ("Kenya", "KE", AFR, "Republic of Kenya|Kenia"),
    ("Lesotho", "LS", AFR, "Kingdom of Lesotho"),
    ("Liberia", "LR", AFR, "Republic of Liberia"),
    ("Madagascar", "MG", AFR, "Republic of Madagascar"),
    ("Malawi", "MW", AFR, "Republic of Malawi"),
    ("Mali", "ML", AFR, "Republic of Mali"),
    ("Mauritius", "MU", AFR, "Republic of Mauritius"),
    ("Mozambique", "MZ", AFR, "Republic of Mozambique|Moçambique"),
    ("Namibia", "NA", AFR, "Republic of Namibia|Namibie"),
    ("Niger", "NE", AFR, "Republic of the Niger|Republic of Niger"),
    ("Nigeria", "NG", AFR, "Federal Republic of Nigeria|Nigéria"),
    ("Rwanda", "RW", AFR, "Republic of Rwanda"),
    ("Sao Tome and Principe", "ST", AFR, "São Tomé and Príncipe|São Tomé e Príncipe|Sao Tome & Principe"),
    ("Senegal", "SN", AFR, "Republic of Senegal|Sénégal"),
    ("Seychelles", "SC", AFR, "Republic of Seychelles"),
    ("Sierra Leone", "SL", AFR, "Republic of Sierra Leone"),
    ("South Africa", "ZA", AFR, "Republic of South Africa|Afrique du Sud|Sudáfrica"),
    ("South Sudan", "SS", AFR, "Republic of South Sudan|Soudan du Sud|Sudán del Sur"),
    ("Tanzania", "TZ", AFR, "United Republic of Tanzania|Tanzania (United Republic of)|Tanzanie"),
    ("Togo", "TG", AFR, "Togolese Republic"),
    ("Uganda", "UG", AFR, "Republic of Uganda|Ouganda"),
    ("Zambia", "ZM", AFR, "Republic of Zambia|Zambie"),
    ("Zimbabwe", "ZW", AFR, "Republic of Zimbabwe"),
    # --- Americas (35) ---
    ("Antigua and Barbuda", "AG", AME, "Antigua & Barbuda"),
    ("Argentina", "AR", AME, "Argentine Republic|República Argentina"),
    ("Bahamas", "BS", AME, "Commonwealth of The Bahamas"),
    ("Barbados", "BB", AME, ""),
    ("Belize", "BZ", AME, "Belice"),
    ("Bolivia", "BO", AME, "Plurinational State of Bolivia|Bolivia (Plurinational State of)|Bolivie"),
    ("Brazil", "BR", AME, "Federative Republic of Brazil|Brasil|Brésil|República Federativa do Brasil"),
    ("Canada", "CA", AME, "Canadá"),
    ("Chile", "CL", AME, "Republic of Chile|Chili"),
    ("Colombia", "CO", AME, "Republic of Colombia|Colombie"),
    ("Costa Rica", "CR", AME, "Republic of Costa Rica"),
    ("Cuba", "CU", AME, "Republic of Cuba"),
    ("Dominica", "DM", AME, "Commonwealth of Dominica|Dominique"),
    ("Dominican Republic", "DO", AME, "República Dominicana|République dominicaine"),
    ("Ecuador", "EC", AME, "Republic of Ecuador|Équateur"),
    ("El Salvador", "SV", AME, "Republic of El Salvador"),
    ("Grenada", "GD", AME, ""),
    ("Guatemala", "GT", AME, "Republic of Guatemala"),
    ("Guyana", "GY", AME, "Co-operative Republic of Guyana|Cooperative Republic of Guyana"),
    ("Haiti", "HT", AME, "Republic of Haiti|Haïti|Haití"),
    ("Honduras", "HN", AME, "Republic of Honduras"),
    ("Jamaica", "JM", AME, "Jamaïque"),
    ("Mexico", "MX", AME, "United Mexican States|México|Mexique|Estados Unidos Mexicanos"),
    ("Nicaragua", "NI", AME, "Republic of Nicaragua"),
    ("Panama", "PA", AME, "Republic of Panama|Panamá"),
    ("Paraguay", "PY", AME, "Republic of Paraguay"),
    ("Peru", "PE", AME, "Republic of Peru|Perú|Pérou"),
    ("Saint Kitts and Nevis", "KN", AME, "St Kitts and Nevis|St. Kitts and Nevis|Federation of Saint Kitts and Nevis|Saint Christopher and Nevis"),
    ("Saint Lucia", "LC", AME, "St Lucia|St. Lucia|Sainte-Lucie"),
    ("Saint Vincent and the Grenadines", "VC", AME, "St Vincent and the Grenadines|St. Vincent and the Grenadines|Saint Vincent|St Vincent|St. Vincent"),
    ("Suriname", "SR", AME, "Republic of Suriname|Surinam"),
    ("Trinidad and Tobago", "TT", AME, "Trinidad & Tobago|Republic of Trinidad and Tobago"),
    ("United States", "US", AME, "United States of America|USA|U.S.A.|US|U.S.|Estados Unidos|Estados Unidos de América|États-Unis|États-Unis d'Amérique"),
    ("Uruguay", "UY", AME, "Oriental Republic of Uruguay|Eastern Republic of Uruguay"),
    ("Venezuela", "VE", AME, "Bolivarian Republic of Venezuela|Venezuela (Bolivarian Republic of)"),
    # --- Arab States (22) ---
    ("Algeria", "DZ", ARB, "People's Democratic Republic of Algeria|Algérie|Argelia"),
    ("Bahrain", "BH", ARB, "Kingdom of Bahrain|Bahreïn|Bahréin"),
    ("Comoros", "KM", ARB, "Union of the Comoros|Comores|Comoras"),
    ("Djibouti", "DJ", ARB, "Republic of Djibouti|Yibuti"),
    ("Egypt", "EG", ARB, "Arab Republic of Egypt|Egypt (Arab Republic of)|Égypte|Egipto"),
    ("Iraq", "IQ", ARB, "Republic of Iraq|Irak"),
    ("Jordan", "JO", ARB, "Hashemite Kingdom of Jordan|Jordanie|Jordania"),
    ("Kuwait", "KW", ARB, "State of Kuwait|Koweït"),
    ("Lebanon", "LB", ARB, "Lebanese Republic|Liban|Líbano"),
    ("Libya", "LY", ARB, "State of Libya|Libyan Arab Jamahiriya|Libye|Libia"),
    ("Mauritania", "MR", ARB, "Islamic Republic of Mauritania|Mauritanie"),
    ("Morocco", "MA", ARB, "Kingdom of Morocco|Maroc|Marruecos"),
    ("Oman", "OM", ARB, "Sultanate of Oman|Omán"),
    ("Palestine", "PS", ARB, "State of Palestine|Palestine (State of)|Occupied Palestinian Territory|Palestinian Territories|Palestinian Authority"),
    ("Qatar", "QA", ARB, "State of Qatar"),
    ("Saudi Arabia", "SA", ARB, "Kingdom of Saudi Arabia|KSA|Arabie saoudite|Arabia Saudita|Arabia Saudí"),
    ("Somalia", "SO", ARB, "Federal Republic of Somalia|Somalie"),
    ("Sudan", "SD", ARB, "Republic of the Sudan|Republic of Sudan|Soudan|Sudán"),
    ("Syrian Arab Republic", "SY", ARB, "Syria|Syrie|Siria"),
    ("Tunisia", "TN", ARB, "Republic of Tunisia|Tunisian Republic|Tunisie|Túnez"),
    ("United Arab Emirates", "AE", ARB, "UAE|U.A.E.|Émirats arabes unis|Emiratos Árabes Unidos"),
    ("Yemen", "YE", ARB, "Republic of Yemen|Yémen"),
    # --- Asia-Pacific (39) ---
    ("Afghanistan", "AF", ASP, "Islamic Republic of Afghanistan|Islamic Emirate of Afghanistan|Afganistán"),
    ("Australia", "AU", ASP, "Commonwealth of Australia|Australie"),
    ("Bangladesh", "BD", ASP, "People's Republic of Bangladesh"),
    ("Bhutan", "BT", ASP, "Kingdom of Bhutan|Bhoutan|Bután"),
    ("Brunei", "BN", ASP, "Brunei Darussalam|Nation of Brunei"),
    ("Cambodia", "KH", ASP, "Kingdom of Cambodia|Cambodge|Camboya"),
    ("China", "CN", ASP, "People's Republic of China|PRC|Chine"),
    ("Democratic People's Republic of Korea", "KP", ASP, "North Korea|DPRK|DPR Korea|Korea DPR|Korea (Democratic People's Republic of)|Korea, Democratic People's Republic of|Corée du Nord|Corea del Norte"),
    ("Fiji", "FJ", ASP, "Republic of Fiji|Fidji"),
    ("India", "IN", ASP, "Republic of India|Inde|Bharat"),
    ("Indonesia", "ID", ASP, "Republic of Indonesia|Indonésie"),
    ("Iran", "IR", ASP, "Islamic Republic of Iran|Iran (Islamic Republic of)|Irán"),
    ("Japan", "JP", ASP, "Japon|Japón"),
    ("Kiribati", "KI", ASP, "Republic of Kiribati"),
    ("Laos", "LA", ASP, "Lao PDR|Lao P.D.R.|Lao People's Democratic Republic"),
    ("Malaysia", "MY", ASP, "Malaisie|Malasia"),
    ("Maldives", "MV", ASP, "Republic of Maldives|Maldivas"),
    ("Marshall Islands", "MH", ASP, "Republic of the Marshall Islands"),
    ("Micronesia", "FM", ASP, "Federated States of Micronesia|Micronesia (Federated States of)"),
    ("Mongolia", "MN", ASP, "Mongolie"),
    ("Myanmar", "MM", ASP, "Burma|Republic of the Union of Myanmar"),
    ("Nauru", "NR", ASP, "Republic of Nauru"),
    ("Nepal", "NP", ASP, "Federal Democratic Republic of Nepal|Népal"),
    ("New Zealand", "NZ", ASP, "Aotearoa|Nouvelle-Zélande|Nueva Zelanda"),
    ("Pakistan", "PK", ASP, "Islamic Republic of Pakistan|Pakistán"),
    ("Palau", "PW", ASP, "Republic of Palau"),
    ("Papua New Guinea", "PG", ASP, "Independent State of Papua New Guinea|Papouasie-Nouvelle-Guinée"),
    ("Philippines", "PH", ASP, "Republic of the Philippines|Filipinas"),
    ("Republic of Korea", "KR", ASP, "South Korea|Korea|Korea (Republic of)|Korea, Republic of|ROK|Corée du Sud|Corea del Sur"),
    ("Samoa", "WS", ASP, "Independent State of Samoa"),
    ("Singapore", "SG", ASP, "Republic of Singapore|Singapour|Singapur"),
    ("Solomon Islands", "SB", ASP, "Îles Salomon"),
    ("Sri Lanka", "LK", ASP, "Democratic Socialist Republic of Sri Lanka"),
    ("Thailand", "TH", ASP, "Kingdom of Thailand|Thaïlande|Tailandia"),
    ("Timor-Leste", "TL", ASP, "East Timor|Democratic Republic of Timor-Leste"),
    ("Tonga", "TO", ASP, "Kingdom of Tonga"),
    ("Tuvalu", "TV", ASP, ""),
    ("Vanuatu", "VU", ASP, "Republic of Vanuatu"),
    ("Viet Nam", "VN", ASP, "Vietnam|Socialist Republic of Viet Nam|Socialist Republic of Vietnam"),
    # --- CIS (11) ---
    ("Armenia", "AM", CIS, "Republic of Armenia|Arménie"),
    ("Azerbaijan", "AZ", CIS, "Republic of Azerbaijan|Azerbaïdjan|Azerbaiyán"),
    ("Belarus", "BY", CIS, "Republic of Belarus|Bélarus|Biélorussie|Bielorrusia"),
    ("Kazakhstan", "KZ", CIS, "Republic of Kazakhstan|Kazajistán"),
    ("Kyrgyzstan", "KG", CIS, "Kyrgyz Republic|Kirghizistan|Kirguistán"),
    ("Moldova", "MD", CIS, "Republic of Moldova|Moldova (Republic of)|Moldavie"),
    ("Russian Federation", "RU", CIS, "Russia|Russie|Rusia|Fédération de Russie|Federación de Rusia"),
    ("Tajikistan", "TJ", CIS, "Republic of Tajikistan|Tadjikistan|Tayikistán"),
    ("Turkmenistan", "TM", CIS, "Turkménistan|Turkmenistán"),
    ("Ukraine", "UA", CIS, "Ucrania"),
    ("Uzbekistan", "UZ", CIS, "Republic of Uzbekistan|Ouzbékistan|Uzbekistán"),
    # --- Europe (44) ---
    ("Albania", "AL", EUR, "Republic of Albania|Albanie"),
    ("Andorra", "AD", EUR, "Principality of Andorra|Andorre"),
    ("Austria", "AT", EUR, "Republic of Austria|Autriche|Österreich"),
    ("Belgium", "BE", EUR, "Kingdom of Belgium|Belgique|Bélgica|België"),
    ("Bosnia and Herzegovina", "BA", EUR, "Bosnia-Herzegovina|Bosnia & Herzegovina|BiH|Bosnie-Herzégovine"),
    ("Bulgaria", "BG", EUR, "Republic of Bulgaria|Bulgarie"),
    ("Croatia", "HR", EUR, "Republic of Croatia|Croatie|Croacia|Hrvatska"),
    ("Cyprus", "CY", EUR, "Republic of Cyprus|Chypre|Chipre"),
    ("Czech Republic", "CZ", EUR, "Czechia|République tchèque|Chequia|República Checa"),
    ("Denmark", "DK", EUR, "Kingdom of Denmark|Danemark|Dinamarca|Danmark"),
    ("Estonia", "EE", EUR, "Republic of Estonia|Estonie"),
    ("Finland", "FI", EUR, "Republic of Finland|Finlande|Finlandia|Suomi"),
    ("France", "FR", EUR, "French Republic|Francia|Frankreich"),
    ("Georgia", "GE", EUR, "Géorgie"),
    ("Germany", "DE", EUR, "Federal Republic of Germany|Allemagne|Alemania|Deutschland"),
    ("Greece", "GR", EUR, "Hellenic Republic|Grèce|Grecia"),
    ("Holy See", "VA", EUR, "Vatican|Vatican City|Vatican City State|Holy See (Vatican City State)|Saint-Siège|Santa Sede"),
    ("Hungary", "HU", EUR, "Hongrie|Hungría|Magyarország"),
    ("Iceland", "IS", EUR, "Islande|Islandia"),
    ("Ireland", "IE", EUR, "Republic of Ireland|Irlande|Irlanda|Éire"),
    ("Israel", "IL", EUR, "State of Israel|Israël"),
    ("Italy", "IT", EUR, "Italian Republic|Italie|Italia"),
    ("Latvia", "LV", EUR, "Republic of Latvia|Lettonie|Letonia"),
    ("Liechtenstein", "LI", EUR, "Principality of Liechtenstein"),
    ("Lithuania", "LT", EUR, "Republic of Lithuania|Lituanie|Lituania"),
    ("Luxembourg", "LU", EUR, "Grand Duchy of Luxembourg|Luxemburgo|Luxemburg"),
    ("Malta", "MT", EUR, "Republic of Malta|Malte"),
    ("Monaco", "MC", EUR, "Principality of Monaco|Mónaco"),
    ("Montenegro", "ME", EUR, "Monténégro"),
    ("Netherlands", "NL", EUR, "Kingdom of the Netherlands|Holland|Pays-Bas|Países Bajos|Nederland"),
    ("North Macedonia", "MK", EUR, "Republic of North Macedonia|Macedonia|The former Yugoslav Republic of Macedonia|FYROM|Macédoine du Nord"),
    ("Norway", "NO", EUR, "Kingdom of Norway|Norvège|Noruega|Norge"),
    ("Poland", "PL", EUR, "Republic of Poland|Pologne|Polonia|Polska"),
    ("Portugal", "PT", EUR, "Portuguese Republic"),
    ("Romania", "RO", EUR, "Roumanie|Rumania|Rumanía|România"),
    ("San Marino", "SM", EUR, "Republic of San Marino|Saint-Marin"),
    ("Serbia", "RS", EUR, "Republic of Serbia|Serbie"),
    ("Slovakia", "SK", EUR, "Slovak Republic|Slovaquie|Eslovaquia"),
    ("Slovenia", "SI", EUR, "Republic of Slovenia|Slovénie|Eslovenia"),
    ("Spain", "ES", EUR, "Kingdom of Spain|España|Espagne"),
    ("Sweden", "SE", EUR, "Kingdom of Sweden|Suède|Suecia|Sverige"),
    ("Switzerland", "CH", EUR, "Swiss Confederation|Suisse|Suiza|Schweiz|Svizzera"),
    ("Türkiye", "TR", EUR, "Turkey|Turkiye|Republic of Türkiye|Republic of Turkey|Turquie|Turquía"),
    ("United Kingdom", "GB", EUR, "United Kingdom of Great Britain and Northern Ireland|UK|U.K.|Great Britain|Britain|Northern Ireland|Royaume-Uni|Reino Unido"),
)
# fmt: on

# Phrases that contain a country name but do not refer to that country. They are
# matched like aliases (so they consume the text) and then dropped.
_STOP_PHRASES: tuple[str, ...] = (
    "American Samoa",
    "New Mexico",
    "Nuevo México",
    "Georgia Tech",
    "Guinea pig",
    "Guinea pigs",
    "Gulf of Guinea",
    "New Guinea",
)

# Lowercase filename tokens that are common English words: they only count when the
# filename wrote them in capitals ("US_ai_plan.pdf" yes, "contact_us.pdf" no).
_FILENAME_UPPERCASE_ONLY: frozenset[str] = frozenset({"us"})

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})
_ACRONYM_RE = re.compile(r"^(?:[A-Z]\.?){2,}$|^[A-Z][a-z][A-Z]$")  # USA, U.S., UK, DPRK, BiH
_CAMEL_SPLIT_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ALPHA_OR_DIGITS_RE = re.compile(r"[^\W\d_]+|\d+")


def _fold(text: str) -> str:
    """Strip accents, unify apostrophes and dashes; keeps case and spacing."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).translate(_DASHES))
    return "".join(c for c in text if not unicodedata.combining(c))


def _key(name: str) -> str:
    """Normalised lookup key: accent- and case-insensitive, '-'/'&'/'.' tolerant."""
    text = _fold(name).casefold().replace("&", " and ").replace("-", " ").replace(".", "")
    return " ".join(text.split())


def _is_acronym(alias: str) -> bool:
    return bool(_ACRONYM_RE.match(alias))


@cache
def all_countries() -> tuple[Country, ...]:
    """All entries of the table (193 UN members, the Holy See and Palestine)."""
    return tuple(Country(name=name, region=region, iso2=iso2) for name, iso2, region, _ in _TABLE)


def countries_in_region(region: str) -> tuple[Country, ...]:
    """The countries of one ITU-D region (``region`` must be one of :data:`REGIONS`)."""
    if region not in REGIONS:
        raise ValueError(f"unknown ITU region {region!r}; expected one of {REGIONS}")
    return tuple(c for c in all_countries() if c.region == region)


def _names() -> list[tuple[Country, list[str]]]:
    """Each country with its canonical name followed by its aliases."""
    out = []
    for country, (_, _, _, aliases) in zip(all_countries(), _TABLE, strict=True):
        out.append((country, [country.name, *(a for a in aliases.split("|") if a)]))
    return out


@cache
def _name_index() -> dict[str, Country]:
    """Normalised canonical names and aliases -> Country. Raises on ambiguity."""
    index: dict[str, Country] = {}
    for country, names in _names():
        for name in names:
            key = _key(name)
            other = index.setdefault(key, country)
            if other != country:
                raise ValueError(f"alias {name!r} is ambiguous: {other.name} / {country.name}")
    return index


@cache
def _iso2_index() -> dict[str, Country]:
    return {c.iso2: c for c in all_countries()}


def lookup_country(name: str) -> Country | None:
    """Exact lookup of a country by canonical name, alias or ISO 3166 alpha-2 code.

    Case- and accent-insensitive; surrounding whitespace and a leading "the " are
    ignored ("the Philippines", "COTE D'IVOIRE", "Türkiye"/"Turkey"). A two-letter
    input is read as an ISO alpha-2 code only when written in uppercase ("PH").
    Returns ``None`` when nothing matches exactly.
    """
    text = name.strip()
    if re.fullmatch(r"[A-Z]{2}", text) and text in _iso2_index():
        return _iso2_index()[text]
    key = _key(text)
    index = _name_index()
    if key not in index and key.startswith("the "):
        key = key[4:]
    return index.get(key)


def region_of(name: str) -> str | None:
    """ITU-D region of the country named ``name`` (see :func:`lookup_country`), or None."""
    country = lookup_country(name)
    return country.region if country else None


# --- free text -------------------------------------------------------------------------


def _alias_rest_pattern(rest: str) -> str:
    """Regex for an alias without its first character: whitespace and '-' flexible."""
    parts = []
    for ch in rest:
        if ch.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        elif ch == "-":
            parts.append(r"(?:-|\s+)")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


@cache
def _text_regex() -> re.Pattern[str]:
    """One regex over all names, aliases and stop phrases, grouped by first letter.

    Words must start with a capital letter as written; the rest of a name is
    case-insensitive, except acronyms (US, UK, UAE...), which must match exactly.
    """
    phrases = {_fold(n) for _, names in _names() for n in names}
    phrases |= {_fold(p) for p in _STOP_PHRASES}
    by_first: dict[str, list[str]] = {}
    for phrase in sorted(phrases, key=lambda p: (-len(p), p)):
        first, rest = phrase[0], phrase[1:]
        if _is_acronym(phrase):
            alt = re.escape(rest)
        else:
            alt = f"(?i:{_alias_rest_pattern(rest)})" if rest else ""
        by_first.setdefault(first.upper(), []).append(alt)
    groups = "|".join(f"{re.escape(first)}(?:{'|'.join(alts)})" for first, alts in sorted(by_first.items()))
    return re.compile(rf"(?<!\w)(?:{groups})(?!\w)")


@cache
def _stop_keys() -> frozenset[str]:
    return frozenset(_key(p) for p in _STOP_PHRASES)


def find_countries(text: str) -> list[Country]:
    """Countries named in free text, in order of first mention, without duplicates.

    Matches whole words only, longest name first (so "Niger" is not found inside
    "Nigeria", nor "Sudan" in "South Sudan"), and only capitalised names ("Chad",
    not "chad"). Short acronyms such as "US", "UK", "UAE" must be written in
    uppercase exactly. Accents and curly apostrophes are ignored.
    """
    found: dict[str, Country] = {}
    index = _name_index()
    stops = _stop_keys()
    for match in _text_regex().finditer(_fold(text)):
        key = _key(match.group(0))
        if key in stops:
            continue
        country = index.get(key)
        if country is not None and country.iso2 not in found:
            found[country.iso2] = country
    return list(found.values())


# --- filenames -------------------------------------------------------------------------


def _filename_tokens(name: str) -> list[str]:
    """Split on non-alphanumerics, letter/digit and camelCase boundaries; keeps case."""
    tokens: list[str] = []
    for run in _ALPHA_OR_DIGITS_RE.findall(_fold(name)):
        tokens.extend(t for t in _CAMEL_SPLIT_RE.split(run) if t)
    return tokens


@cache
def _filename_index() -> tuple[dict[tuple[str, ...], Country | None], int]:
    """Lowercased token tuples of names/aliases/stop phrases -> Country (None for stops).

    Multi-word names are also indexed concatenated ("southafrica", "unitedstates").
    Returns the index and the longest token sequence in it.
    """
    index: dict[tuple[str, ...], Country | None] = {}
    for country, names in _names():
        for name in names:
            tokens = tuple(t.casefold() for t in _filename_tokens(name))
            variants = {tokens, ("".join(tokens),)}
            if "and" in tokens:
                variants.add(tuple(t for t in tokens if t != "and"))
            for variant in variants:
                if index.setdefault(variant, country) != country:
                    raise ValueError(f"filename alias {variant!r} is ambiguous")
    for phrase in _STOP_PHRASES:
        tokens = tuple(t.casefold() for t in _filename_tokens(phrase))
        index.setdefault(tokens, None)
        index.setdefault(("".join(tokens),), None)
    return index, max(len(k) for k in index)


def find_countries_in_filename(name: str) -> list[Country]:
    """Countries named in a filename or path, in order, without duplicates.

    The name is split on ``_ - . /`` and spaces, and at letter/digit and camelCase
    boundaries; lowercased token sequences (longest first) are matched against
    lowercased names and aliases: "brasil2021ebia_estrategia.pdf" -> Brazil,
    "supreme_court_india_smw" -> India, "eu2024aiact" -> nothing.
    """
    tokens = _filename_tokens(name)
    lowered = [t.casefold() for t in tokens]
    index, longest = _filename_index()
    found: dict[str, Country] = {}
    i = 0
    while i < len(lowered):
        for n in range(min(longest, len(lowered) - i), 0, -1):
            seq = tuple(lowered[i : i + n])
            if seq not in index:
                continue
            if n == 1 and seq[0] in _FILENAME_UPPERCASE_ONLY and not tokens[i].isupper():
                continue
            country = index[seq]
            if country is not None and country.iso2 not in found:
                found[country.iso2] = country
            i += n
            break
        else:
            i += 1
    return list(found.values())
