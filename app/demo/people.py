"""Deterministic, plausible demo entrepreneurs for the communes of Melipilla province."""

from __future__ import annotations

import random
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.rut import check_digit

# The demo data is written as seen on this day: sanitary resolutions expire relative to it, so
# the demo stays identical whatever the machine clock says.
REFERENCE_DATE = date(2026, 11, 27)

commune_slugs = ["melipilla", "alhue", "curacavi", "maria-pinto", "san-pedro"]

COMMUNE_NAMES: dict[str, str] = {
    "melipilla": "Melipilla",
    "alhue": "Alhué",
    "curacavi": "Curacaví",
    "maria-pinto": "María Pinto",
    "san-pedro": "San Pedro",
}

CATEGORIES: list[tuple[str, str]] = [
    ("artesania", "Artesanía"),
    ("alimentos-envasados", "Alimentos envasados"),
    ("reposteria", "Repostería y panadería"),
    ("textiles", "Textiles y vestuario"),
    ("cosmetica-natural", "Cosmética natural"),
    ("joyeria", "Joyería y accesorios"),
    ("plantas", "Plantas y jardín"),
    ("miel", "Miel y productos apícolas"),
    ("ceramica", "Cerámica y greda"),
    ("madera", "Madera y muebles"),
    ("cuero", "Cuero y talabartería"),
    ("vinos-licores", "Vinos y licores artesanales"),
]

# Selling these at the mall needs a SEREMI de Salud resolution, so the app must ask for one.
FOOD_CATEGORIES: frozenset[str] = frozenset(
    {"alimentos-envasados", "reposteria", "miel", "vinos-licores"}
)

# Written as one string per list so the data reads like a roster rather than a column.
_FEMALE_FIRST = (
    "María José, María Paz, María Fernanda, Ana María, Luz María, María Teresa, Francisca, "
    "Catalina, Valentina, Camila, Javiera, Constanza, Carolina, Paola, Marcela, Patricia, "
    "Claudia, Verónica, Rosa, Gloria, Sonia, Margarita, Ximena, Jacqueline, Yasna, Daniela, "
    "Fernanda, Isidora, Sofía, Antonia, Bárbara, Mónica, Inés, Teresa, Elena, Olga, Raquel, "
    "Pamela, Lorena, Viviana, Carmen, Juana, Eliana, Angélica, Trinidad"
).split(", ")
_MALE_FIRST = (
    "Juan Pablo, Juan Carlos, José Luis, Luis Alberto, José Miguel, Juan, José, Luis, Carlos, "
    "Jorge, Manuel, Pedro, Francisco, Cristián, Sebastián, Matías, Felipe, Rodrigo, Patricio, "
    "Héctor, Ramón, Sergio, Víctor, Hernán, Andrés, Tomás, Benjamín, Nicolás, Ignacio, Óscar, "
    "Raúl, Gonzalo, Mauricio, Álvaro, Joaquín"
).split(", ")
_SURNAMES = (
    "González, Muñoz, Rojas, Díaz, Pérez, Soto, Contreras, Silva, Martínez, Sepúlveda, Morales, "
    "Rodríguez, López, Fuentes, Hernández, Torres, Araya, Flores, Espinoza, Valenzuela, "
    "Castillo, Tapia, Reyes, Gutiérrez, Castro, Pizarro, Álvarez, Vásquez, Sánchez, Fernández, "
    "Ramírez, Carrasco, Gómez, Cortés, Herrera, Núñez, Jara, Vergara, Rivera, Figueroa, "
    "Riquelme, García, Miranda, Bravo, Vera, Molina, Vega, Campos, Sandoval, Orellana, "
    "Cárdenas, Olivares, Alarcón, Gallardo, Ortiz, Garrido, Salazar, Guzmán, Henríquez, "
    "Saavedra, Navarro, Aguilera, Parra, Romero, Aravena, Vargas, Vidal, Cáceres, Yáñez, Leiva, "
    "Escobar, Ruiz, Valdés, Zúñiga, Peña, Farías, Cifuentes, Lagos, Osorio, Acevedo, Moreno, "
    "Salinas, Quiroz, Ibarra, Poblete, Toro"
).split(", ")

# Rural landmarks found all over the Chilean central valley; mixed with each commune's own
# localities they give business names a local ring without inventing facts about real places.
_LANDMARKS = (
    "El Cerro, La Quebrada, El Valle, Los Boldos, Los Quillayes, El Espino, Los Peumos, "
    "Las Palmas, El Estero, La Loma, Los Aromos, El Molle"
).split(", ")

# Villages and rural sectors of each commune, used in business names and descriptions.
LOCALITIES: dict[str, list[str]] = {
    "melipilla": (
        "Pomaire, Codigua, Puangue, Huechún, Culiprán, Chocalán, Cholqui, Mallarauco, "
        "Pabellón, Esmeralda"
    ).split(", "),
    "alhue": "Villa Alhué, El Membrillo, Loncha, Pichi, Talamí, San Alfonso, Polulo".split(", "),
    "curacavi": "Cuesta Zapata, Lolenco, Santa Inés, Cerrillos, Lo Águila, Miraflores".split(", "),
    "maria-pinto": (
        "Santa Luisa, Ibacache, Chorombo, Baracaldo, Los Rulos, Las Mercedes, El Rosario"
    ).split(", "),
    "san-pedro": "Loica, Longovilo, Quilamuta, Nihue, La Manga, El Prado".split(", "),
}

# A product line pairs business-name templates with descriptions of the same product, so a
# "Viña" never describes itself as a brewery. Name placeholders: {place} bare ("Los Boldos"),
# {de_place} with its preposition ("de los Boldos"), {surname}, and {dona}/{tia}/{de_tia}/
# {abuela}, which agree in gender with the owner ("Doña Rosa", "Don Luis"). Descriptions always
# name the commune ({comuna}) and may name one of its localities ({local}).
_Line = tuple[list[str], list[str]]

_LINES: dict[str, list[_Line]] = {
    "artesania": [
        (
            ["Mimbres {de_place}", "Cestería {surname}", "Canastos {dona}"],
            [
                "Canastos y cestos de mimbre tejidos a mano en {comuna}.",
                "Cestería en mimbre y fibras vegetales de artesanos de {local}, {comuna}.",
            ],
        ),
        (
            [
                "Artesanía {place}",
                "Manos {de_place}",
                "Hecho a Mano {place}",
                "Raíces {de_place}",
                "Arte Campesino {place}",
                "Artesanías {surname}",
            ],
            [
                "Adornos y recuerdos campesinos hechos a mano en {comuna}.",
                "Piezas decorativas con materiales reciclados elaboradas por familias de {comuna}.",
                "Chupallas, adornos y artesanía tradicional de {local}, {comuna}.",
            ],
        ),
    ],
    "alimentos-envasados": [
        (
            ["Mermeladas {abuela}", "Dulces de Fruta {de_place}", "Mermeladas {surname}"],
            [
                "Mermeladas caseras de frutas del valle de {comuna}.",
                "Mermeladas y dulce de membrillo hechos con fruta de {local}, {comuna}.",
            ],
        ),
        (
            [
                "Conservas {dona}",
                "Encurtidos {surname}",
                "Despensa {place}",
                "La Despensa {de_tia}",
            ],
            [
                "Conservas y encurtidos de hortalizas cultivadas en {local}, {comuna}.",
                "Tomates en conserva, pickles y chucrut de productores de {comuna}.",
            ],
        ),
        (
            ["Ají {de_place}", "Sabores {de_place}", "Pebre {dona}"],
            [
                "Pebre, ají y salsas envasadas con recetas de campo de {comuna}.",
                "Ají de color y merkén molidos artesanalmente en {comuna}.",
            ],
        ),
        (
            ["Delicias {de_place}", "Frutos Secos {surname}"],
            ["Frutos secos y huesillos deshidratados de productores de {comuna}."],
        ),
    ],
    "reposteria": [
        (
            ["Dulces {abuela}", "Pastelería {dona}", "Repostería {surname}", "Delicias {de_tia}"],
            [
                "Tortas, kuchenes y alfajores caseros horneados en {comuna}.",
                "Dulces chilenos como chilenitos y calzones rotos hechos en {comuna}.",
            ],
        ),
        (
            ["Amasandería {place}", "Horno {de_place}", "Pan Amasado {dona}"],
            [
                "Pan amasado y empanadas de horno de barro de {local}, {comuna}.",
                "Hallullas, marraquetas y tortillas de rescoldo horneadas en {comuna}.",
            ],
        ),
        (
            ["Kuchen {de_place}", "Alfajores {de_place}", "Alfajores {de_tia}"],
            [
                "Kuchenes de fruta de la estación horneados en {local}, {comuna}.",
                "Alfajores de manjar y chilenitos caseros hechos en {comuna}.",
            ],
        ),
    ],
    "textiles": [
        (
            [
                "Lanas {de_place}",
                "Tejidos {dona}",
                "Ponchos {de_place}",
                "Mantas {surname}",
                "Tejelanas {tia}",
            ],
            [
                "Chalecos, mantas y ponchos de lana de oveja hilada a mano en {comuna}.",
                "Tejidos a telar con diseños inspirados en el paisaje de {comuna}.",
            ],
        ),
        (
            ["Vestuario {place}", "Hilos {de_place}", "Costura {dona}"],
            [
                "Ropa de guagua tejida a palillo por artesanas de {local}, {comuna}.",
                "Bordados y prendas cosidas a mano en un taller familiar de {comuna}.",
            ],
        ),
    ],
    "cosmetica-natural": [
        (
            ["Jabones {de_place}", "Jabonería {surname}"],
            ["Jabones artesanales con hierbas cultivadas en {comuna}."],
        ),
        (
            [
                "Botica {place}",
                "Natural {surname}",
                "Cosmética {place}",
                "Rosa Mosqueta {de_place}",
                "Herbolaria {dona}",
            ],
            [
                "Cremas y bálsamos de rosa mosqueta y caléndula elaborados en {local}, {comuna}.",
                "Cosmética natural sin parabenos hecha en pequeños lotes en {comuna}.",
            ],
        ),
        (
            ["Aromas {de_place}", "Esencias {place}", "Velas {dona}"],
            ["Velas de soya y aceites esenciales de plantas aromáticas de {comuna}."],
        ),
    ],
    "joyeria": [
        (
            ["Joyas {de_place}", "Orfebrería {surname}", "Plata {de_place}", "Cobre {de_place}"],
            [
                "Aros y collares de plata y cobre trabajados a mano en {comuna}.",
                "Joyería de autor hecha en un pequeño taller de {local}, {comuna}.",
            ],
        ),
        (
            [
                "Piedras {de_place}",
                "Aros y Collares {place}",
                "Accesorios {tia}",
                "Bisutería {dona}",
            ],
            [
                "Accesorios con piedras y semillas recolectadas en los cerros de {comuna}.",
                "Bisutería y accesorios hechos a mano en {comuna}.",
            ],
        ),
    ],
    "plantas": [
        (
            ["Vivero {place}", "Vivero {dona}", "Nativas {de_place}", "Plantas {surname}"],
            ["Plantas nativas y árboles frutales de un vivero familiar de {comuna}."],
        ),
        (
            ["Suculentas {de_place}", "Cactus {de_place}"],
            ["Cactus y suculentas cultivados sin químicos en {comuna}."],
        ),
        (
            ["Huerto {place}", "Jardín {de_tia}"],
            ["Almácigos, hierbas aromáticas y hortalizas de {local}, {comuna}."],
        ),
    ],
    "miel": [
        (
            [
                "Miel {de_place}",
                "Apícola {surname}",
                "Colmenares {place}",
                "Miel {dona}",
                "Abejas {de_place}",
                "La Colmena {de_tia}",
                "Apiario {place}",
                "Propóleo {de_place}",
            ],
            [
                "Miel de flores nativas cosechada en los cerros de {comuna}.",
                "Miel, propóleo y polen de colmenas instaladas en {local}, {comuna}.",
                "Miel cruda de quillay y espino de apicultores de {comuna}.",
            ],
        ),
    ],
    "ceramica": [
        (
            [
                "Cerámica {place}",
                "Greda {de_place}",
                "Alfarería {surname}",
                "Taller de Greda {dona}",
                "Barro {de_place}",
                "Loza {de_place}",
                "Alfarería {tia}",
            ],
            [
                "Ollas, fuentes y tazas de greda moldeadas a mano en {comuna}.",
                "Cerámica utilitaria y decorativa del taller familiar de {local}, {comuna}.",
                "Maceteros y figuras de barro cocido con técnicas tradicionales de {comuna}.",
            ],
        ),
    ],
    "madera": [
        (
            ["Mueblería {surname}", "Carpintería {place}", "Rústicos {de_place}"],
            ["Muebles rústicos hechos con madera recuperada en {local}, {comuna}."],
        ),
        (
            ["Maderas {de_place}", "Tallados {dona}", "Roble {de_place}", "Madera Nativa {place}"],
            [
                "Tablas de picar y utensilios de madera nativa tallados en {comuna}.",
                "Juguetes y artículos de cocina de madera torneada en {comuna}.",
            ],
        ),
    ],
    "cuero": [
        (
            ["Cueros {de_place}", "Cuero {dona}", "Marroquinería {place}"],
            [
                "Cinturones, billeteras y bolsos de cuero cosidos a mano en {comuna}.",
                "Artículos de cuero curtido de forma artesanal en {comuna}.",
            ],
        ),
        (
            [
                "Talabartería {surname}",
                "Monturas {place}",
                "Talabartería {de_place}",
                "Riendas {de_place}",
            ],
            ["Aperos de huaso y monturas de talabartería tradicional de {local}, {comuna}."],
        ),
    ],
    "vinos-licores": [
        (
            ["Viña {place}", "Vinos {dona}", "Viñedo {place}", "Bodega {surname}"],
            [
                "Vinos de pequeña producción de viñedos familiares de {comuna}.",
                "Vino tinto campesino de parras antiguas de {local}, {comuna}.",
            ],
        ),
        (
            ["Licores {de_place}", "Destilados {surname}", "Licor de Oro {de_place}"],
            [
                "Licores artesanales de frutas maceradas en {local}, {comuna}.",
                "Licor de oro, mistela y guindado elaborados en {comuna}.",
            ],
        ),
        (
            ["Cervecería {place}", "Cerveza {surname}"],
            ["Cerveza artesanal de pequeños lotes elaborada en {comuna}."],
        ),
    ],
}

# What each commune is known for: extra product lines, drawn twice as often as generic ones,
# plus higher category weights, so each commune's stalls look like that commune.
_LOCAL_LINES: dict[str, dict[str, list[_Line]]] = {
    "melipilla": {
        "ceramica": [
            (
                [
                    "Greda Pomaire {surname}",
                    "Alfarería Pomaire {dona}",
                    "Chanchitos de Pomaire",
                    "Ollas de Greda {de_tia}",
                    "Cerámica Pomaire Sur",
                ],
                [
                    "Ollas y fuentes de greda hechas a mano en Pomaire, {comuna}.",
                    "Chanchitos de greda y loza del pueblo alfarero de Pomaire, {comuna}.",
                ],
            )
        ],
        "alimentos-envasados": [
            (
                ["Huerta Melipillana", "Conservas Melipilla {surname}"],
                ["Conservas de tomate y pimentón de las huertas de {comuna}."],
            )
        ],
        "reposteria": [
            (
                ["Empanadas Melipillanas {dona}", "Amasandería Melipilla Centro"],
                ["Empanadas de pino y pan amasado de horno de barro de {comuna}."],
            )
        ],
    },
    "alhue": {
        "joyeria": [
            (
                [
                    "Oro de Alhué",
                    "Orfebrería Minera {surname}",
                    "Pepitas {de_place}",
                    "Joyas del Asiento Minero",
                ],
                [
                    "Joyas inspiradas en la tradición minera de oro de {comuna}.",
                    "Aros y colgantes con cuarzo de la zona aurífera de {comuna}.",
                ],
            )
        ],
        "artesania": [
            (
                ["Artesanía Minera de Alhué", "Recuerdos del Oro {dona}"],
                ["Artesanía que rescata la historia minera y campesina de {comuna}."],
            )
        ],
        "miel": [
            (
                ["Miel de Loncha {surname}", "Miel del Cajón de Alhué"],
                ["Miel de bosque esclerófilo cosechada cerca de la reserva de Loncha, {comuna}."],
            )
        ],
    },
    "curacavi": {
        "vinos-licores": [
            (
                [
                    "Chicha Curacavina {surname}",
                    "Chichería {dona}",
                    "Chicha de Curacaví {dona}",
                    "Bodega Chichera {surname}",
                    "Chicha Cocida {de_tia}",
                ],
                [
                    "Chicha de uva cocida y cruda de producción familiar en {comuna}.",
                    "Chicha y arrope elaborados con uva de parras antiguas de {local}, {comuna}.",
                ],
            )
        ],
        "reposteria": [
            (
                ["Tortas Curacaví {dona}", "Dulces de la Cuesta Zapata"],
                ["Tortas y dulces chilenos de la ruta de la chicha de {comuna}."],
            )
        ],
        "alimentos-envasados": [
            (
                ["Arrope y Uva {de_place}", "Pasas {de_place}"],
                ["Arrope de uva y pasas envasadas por productores de {comuna}."],
            )
        ],
    },
    "maria-pinto": {
        "plantas": [
            (
                ["Vivero María Pinto {surname}", "Huerta {de_place}", "Almácigos {dona}"],
                ["Almácigos y hortalizas de la tradición agrícola de {comuna}."],
            )
        ],
        "alimentos-envasados": [
            (
                ["Nueces de María Pinto", "Productos del Campo {de_place}"],
                ["Nueces, almendras y frutos secos de los campos de {comuna}."],
            )
        ],
        "madera": [
            (
                ["Carpintería María Pinto {surname}"],
                ["Muebles de campo hechos a mano por carpinteros de {comuna}."],
            )
        ],
    },
    "san-pedro": {
        "alimentos-envasados": [
            (
                [
                    "Frutillas {de_place}",
                    "Mermeladas La Frutilla {dona}",
                    "Frutillar {surname}",
                    "Frutillas San Pedro {surname}",
                ],
                [
                    "Mermelada y frutillas deshidratadas de los campos frutilleros de {comuna}.",
                    "Salsas y conservas de frutilla cultivada en {local}, {comuna}.",
                ],
            )
        ],
        "reposteria": [
            (
                ["Kuchen de Frutilla {de_tia}", "Dulces La Frutilla {surname}"],
                ["Kuchen y tartaletas con frutillas frescas de {comuna}."],
            )
        ],
        "plantas": [
            (
                ["Plantines de Frutilla {place}"],
                ["Plantines de frutilla y almácigos de {local}, {comuna}."],
            )
        ],
    },
}

_CATEGORY_WEIGHTS: dict[str, dict[str, int]] = {
    "melipilla": {"ceramica": 4, "alimentos-envasados": 2, "reposteria": 2},
    "alhue": {"joyeria": 4, "artesania": 2, "miel": 2},
    "curacavi": {"vinos-licores": 4, "reposteria": 2, "alimentos-envasados": 2},
    "maria-pinto": {"plantas": 3, "alimentos-envasados": 3, "madera": 2},
    "san-pedro": {"alimentos-envasados": 4, "reposteria": 3, "plantas": 2},
}

_EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

# People's RUTs in this range belong to adults of working age; 76–77 million is where the
# registry has been assigning new companies' RUTs.
_PERSON_BODY_RANGE = (6_000_000, 21_999_999)
_COMPANY_BODY_RANGE = (76_000_000, 77_999_999)


@dataclass(frozen=True)
class DemoEntrepreneur:
    """One entrepreneur in the form the app stores: RUT normalized, phone "+569" and eight digits,
    category a slug of CATEGORIES, sanitary data present exactly for food categories."""

    business_name: str
    owner_name: str
    rut: str
    email: str
    phone: str
    category: str
    description: str
    website: str | None
    needs_power: bool
    needs_table: bool
    needs_food_handling: bool
    sanitary_resolution: str | None
    sanitary_expiry: date | None
    public_consent: bool
    active: bool


def _ascii(text: str) -> str:
    # Emails and handles cannot carry accents or ñ; "Muñoz" → "munoz", "Ibáñez" → "ibanez".
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _de(place: str) -> str:
    # Spanish contracts "de el" to "del" and lowercases the article after the preposition.
    articles = (("El ", "del "), ("La ", "de la "), ("Los ", "de los "), ("Las ", "de las "))
    for article, contracted in articles:
        if place.startswith(article):
            return contracted + place.removeprefix(article)
    return "de " + place


def _with_residue(rng: random.Random, low: int, high: int, modulus: int, residue: int) -> int:
    """Draw uniformly from the numbers in [low, high] congruent to residue modulo modulus."""
    first = low + (residue - low) % modulus
    return rng.randrange(first, high + 1, modulus)


def _given_name(first: str) -> str:
    # Chileans with "María José" or "Juan Pablo" go by both names, but "Luis Alberto" is "Luis".
    words = first.split()
    if words[0] in {"María", "Juan", "José", "Ana", "Luz"}:
        return first
    return words[0]


def _commune_index(commune_slug: str) -> int:
    try:
        return commune_slugs.index(commune_slug)
    except ValueError:
        known = ", ".join(commune_slugs)
        raise ValueError(f"unknown commune {commune_slug!r}; expected one of: {known}") from None


def _category_plan(rng: random.Random, commune_slug: str, n: int) -> list[str]:
    # Deal categories from shuffled decks holding each one as often as its weight: every
    # commune's signature products are guaranteed their share, even in a short list, while
    # the order still looks random.
    weights = _CATEGORY_WEIGHTS[commune_slug]
    deck = [slug for slug, _ in CATEGORIES for _ in range(weights.get(slug, 1))]
    plan: list[str] = []
    while len(plan) < n:
        rng.shuffle(deck)
        plan.extend(deck)
    return plan[:n]


def generate_entrepreneurs(commune_slug: str, n: int, *, seed: int = 0) -> list[DemoEntrepreneur]:
    """Return n demo entrepreneurs of one commune; the same arguments give the same list.

    Business names, RUTs, emails and phones are unique within the list. RUTs, emails and phones
    also never collide between communes, whatever the seeds: each commune owns a residue class
    modulo the number of communes for the RUT body, the email's number and the phone number.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    index = _commune_index(commune_slug)
    modulus = len(commune_slugs)
    comuna = COMMUNE_NAMES[commune_slug]
    # zlib.crc32 is stable across runs, unlike hash(), which Python salts per process.
    rng = random.Random(zlib.crc32(f"{commune_slug}:{seed}".encode()))

    localities = LOCALITIES[commune_slug]
    places = localities * 2 + _LANDMARKS  # The commune's own places come up twice as often.
    local_lines = _LOCAL_LINES[commune_slug]

    used_names: set[str] = set()
    used_ruts: set[int] = set()
    used_emails: set[str] = set()
    used_phones: set[str] = set()
    result: list[DemoEntrepreneur] = []

    for category in _category_plan(rng, commune_slug, n):
        # Generous but finite: if a category's names run out, say so instead of looping forever.
        for _attempt in range(1000):
            female = rng.random() < 0.65
            first = rng.choice(_FEMALE_FIRST if female else _MALE_FIRST)
            surname1, surname2 = rng.sample(_SURNAMES, 2)

            # Local lines are listed twice so the commune's signature products show up often.
            name_templates, descriptions = rng.choice(
                _LINES[category] + local_lines.get(category, []) * 2
            )
            place = rng.choice(places)
            given = _given_name(first)
            business_name = rng.choice(name_templates).format(
                place=place,
                de_place=_de(place),
                surname=surname1,
                dona=f"{'Doña' if female else 'Don'} {given}",
                tia=f"{'Tía' if female else 'Tío'} {given}",
                de_tia=f"{'de la Tía' if female else 'del Tío'} {given}",
                abuela=f"{'La Abuela' if female else 'El Abuelo'} {given}",
            )

            # Most micro-businesses register under the owner's personal RUT; some have a
            # company RUT of their own.
            body_range = _PERSON_BODY_RANGE if rng.random() < 0.75 else _COMPANY_BODY_RANGE
            body = _with_residue(rng, *body_range, modulus, index)
            email = _make_email(rng, first, surname1, surname2, business_name, modulus, index)
            phone = f"+569{_with_residue(rng, 20_000_000, 99_999_999, modulus, index):08d}"
            if (
                business_name not in used_names
                and body not in used_ruts
                and email not in used_emails
                and phone not in used_phones
            ):
                break
        else:
            raise ValueError(f"cannot generate {n} distinct demo entrepreneurs for {comuna}")

        # A business named after a locality is described as being from that same locality.
        local = place if place in localities else rng.choice(localities)
        description = rng.choice(descriptions).format(comuna=comuna, local=local)
        handle = "".join(ch for ch in _ascii(business_name) if ch.isalnum())
        website = f"https://example.com/@{handle}" if rng.random() < 0.5 else None

        food = category in FOOD_CATEGORIES
        resolution: str | None = None
        expiry: date | None = None
        if food:
            # About one in ten has let the resolution lapse, so the app's expiry checks have
            # something to flag in the demo.
            if rng.random() < 0.1:
                expiry = REFERENCE_DATE - timedelta(days=rng.randint(1, 240))
            else:
                expiry = REFERENCE_DATE + timedelta(days=rng.randint(20, 1000))
            # Issued one to three years before expiry, and never after the reference date.
            issued_year = min(REFERENCE_DATE.year, expiry.year - rng.randint(1, 3))
            resolution = f"Res. {rng.randint(1000, 9999)}/{issued_year}"

        used_names.add(business_name)
        used_ruts.add(body)
        used_emails.add(email)
        used_phones.add(phone)
        result.append(
            DemoEntrepreneur(
                business_name=business_name,
                owner_name=f"{first} {surname1} {surname2}",
                rut=f"{body}-{check_digit(body)}",
                email=email,
                phone=phone,
                category=category,
                description=description,
                website=website,
                # Fridges and display lights need a socket; food stalls almost always do.
                needs_power=rng.random() < (0.8 if food else 0.3),
                needs_table=rng.random() < 0.85,
                needs_food_handling=food,
                sanitary_resolution=resolution,
                sanitary_expiry=expiry,
                public_consent=rng.random() < 0.6,
                active=rng.random() < 0.95,
            )
        )
    return result


def _make_email(
    rng: random.Random,
    first: str,
    surname1: str,
    surname2: str,
    business_name: str,
    modulus: int,
    residue: int,
) -> str:
    first_ascii = _ascii(first).replace(" ", "")
    s1 = _ascii(surname1)
    s2 = _ascii(surname2)
    business = "".join(ch for ch in _ascii(business_name) if ch.isalnum())
    local = rng.choice(
        [
            f"{first_ascii}.{s1}",
            f"{first_ascii[0]}{s1}",
            f"{first_ascii}{s1}{s2[0]}",
            f"{first_ascii[0]}{s1}.{s2}",
            business,
            f"contacto.{business}",
        ]
    )
    # The trailing number (a birth year or a two-digit tag, as people really use) carries the
    # commune's residue; the local part never ends in a digit, so the number is unambiguous and
    # two communes can never produce the same address.
    if rng.random() < 0.5:
        number = _with_residue(rng, 1955, 2005, modulus, residue)
    else:
        number = _with_residue(rng, 10, 99, modulus, residue)
    return f"{local}{number}@{rng.choice(_EMAIL_DOMAINS)}"
