"""Visibly synthetic coverage for demos and benchmarks; never real outlets or people.

Every name says what it is ("Synthetic Source 17", "Synthetic article 48213"),
URLs are on example.org, and the text is words drawn at random from small
English and Spanish vocabularies, so no sentence is a quotation of anyone.
About one word in seven comes instead from a long tail of invented words
("bekuta", "lorimano"), so that searches can be measured from the commonest
words down to ones that only 1 in 1,000 articles contain, as in a real archive.
Distributions are skewed like a real archive's: a few large sources and many
small ones, a few common subjects, dates over fifteen years.
"""

import datetime
import random
from itertools import accumulate

ENGLISH_WORDS = (
    "the of and to in a is that for on with as by at from this are was be it not have has they their "
    "immigrant immigrants immigration rights community communities organizing organizers organized "
    "surveillance facial recognition data privacy police policing enforcement deportation deportations "
    "deported detention detained family families children border asylum refugee refugees court courts "
    "judge hearing lawyer lawyers legal aid clinic workers worker labor union wages housing tenants "
    "city council mayor state federal agency agencies contract contracts technology software company "
    "companies cloud database license plate camera cameras license sanctuary policy policies vote "
    "voters election campaign protest protests rally march coalition advocates advocacy volunteers "
    "hotline report reports records request documents school schools students teachers health clinic "
    "hospital language access interpreter translation census neighborhood neighborhoods business "
    "businesses jobs rent eviction evictions daca dreamers citizenship naturalization visa visas "
    "permit permits checkpoint raid raids arrest arrests warrant warrants jail prison bond release "
    "know your rights training workshop meeting meetings public testimony hearing hearings budget"
).split()

SPANISH_WORDS = (
    "el la los las de del y en a que por para con como es son una un su sus no se al lo "
    "inmigrante inmigrantes inmigración derechos comunidad comunidades organización organizaciones "
    "organizadores vigilancia reconocimiento facial datos privacidad policía deportación deportaciones "
    "deportados detención detenidos familia familias niños frontera asilo refugiados tribunal corte "
    "juez audiencia abogado abogados ayuda legal clínica trabajadores trabajador sindicato salarios "
    "vivienda inquilinos ciudad concejo alcalde estado federal agencia contrato contratos tecnología "
    "empresa empresas nube cámara cámaras santuario política políticas voto votantes elección campaña "
    "protesta protestas marcha coalición defensores voluntarios línea informe informes documentos "
    "escuela escuelas estudiantes maestros salud hospital idioma acceso intérprete traducción censo "
    "barrio barrios negocios empleos alquiler desalojo desalojos ciudadanía visa permiso redada "
    "redadas arresto arrestos orden cárcel prisión fianza libertad conozca sus derechos taller reunión "
    "testimonio presupuesto"
).split()

# Invented words: syllables put together by a fixed seed, the same in every archive.
_SYLLABLES = [consonant + vowel for consonant in "bdfgklmnprstvz" for vowel in "aeiou"]


def _tail_words(count: int) -> tuple[str, ...]:
    draw = random.Random("synthetic vocabulary tail")
    words: dict[str, None] = {}
    while len(words) < count:
        words["".join(draw.choices(_SYLLABLES, k=draw.randint(3, 4)))] = None
    return tuple(words)


TAIL_WORDS = _tail_words(4000)
# The share of drawn words that come from the tail.
TAIL_SHARE = 0.15

LANGUAGES = (("en", 0.62), ("es", 0.33), ("fr", 0.02), ("pt", 0.02), ("ht", 0.01))
PRECISIONS = (("day", 0.85), ("month", 0.10), ("year", 0.04), ("unknown", 0.01))
FIRST_YEAR, YEARS = 2011, 15


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """Weights for a few large and many small: the n-th gets 1/n^exponent."""
    return list(accumulate(1 / (rank**exponent) for rank in range(1, count + 1)))


class SyntheticArchive:
    """Draws synthetic articles; the same seed gives the same archive."""

    def __init__(self, seed: int, sources: int, subjects: int, organizations: int, types: int):
        self.random = random.Random(seed)
        self.source_weights = zipf_weights(sources)
        self.subject_weights = zipf_weights(subjects, 0.9)
        self.organization_weights = zipf_weights(organizations, 1.0)
        self.type_weights = zipf_weights(types, 1.5)
        self.word_weights = {
            "en": zipf_weights(len(ENGLISH_WORDS), 0.8),
            "es": zipf_weights(len(SPANISH_WORDS), 0.8),
        }
        self.tail_weights = zipf_weights(len(TAIL_WORDS), 1.0)

    def pick(self, population, cum_weights, k=1):
        return self.random.choices(population, cum_weights=cum_weights, k=k)

    def choice(self, weighted):
        values, weights = zip(*weighted, strict=True)
        return self.random.choices(values, weights=weights)[0]

    def text(self, language: str, words: int) -> str:
        vocabulary = SPANISH_WORDS if language == "es" else ENGLISH_WORDS
        weights = self.word_weights["es" if language == "es" else "en"]
        drawn = self.pick(vocabulary, weights, k=words)
        for index in range(words):
            if self.random.random() < TAIL_SHARE:
                drawn[index] = self.pick(TAIL_WORDS, self.tail_weights)[0]
        sentences = [" ".join(drawn[i : i + 12]).capitalize() + "." for i in range(0, len(drawn), 12)]
        paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
        return "\n\n".join(paragraphs)

    def date(self):
        precision = self.choice(PRECISIONS)
        if precision == "unknown":
            return None, precision
        day = datetime.date(FIRST_YEAR, 1, 1) + datetime.timedelta(days=self.random.randrange(YEARS * 365))
        if precision == "month":
            day = day.replace(day=1)
        elif precision == "year":
            day = day.replace(month=1, day=1)
        return day, precision
