"""Geography speed: load time, `locate()` latency and memory (target: locate() p95 well under 5 ms).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_geo.py [--phrases 600] [--seed 42]

`locate()` runs on every message the NLU pipeline sees (bot/nlu/entities.py, `anchored_only=True`) and again in
the provider action (`anchored_only=False`), so both modes are timed, over the same few hundred varied phrases:
commune names typed in sentences, alone, with typos, with postal codes; départements; messages that name no place;
and long stories full of "de" and "à". Caches are emptied before each timed pass, so that every phrase is seen
for the first time, as in a conversation. Load time is that of `load()` from the data files (the first message of a
process pays it); memory is what the loaded geography holds (tracemalloc) and the process's peak resident size.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import geo  # noqa: E402

# Messages that name no place, as victims write them (the guard against common words read as communes).
NO_PLACE = [
    "j'ai reçu un SMS de Chronopost qui me demande de payer 2 euros",
    "mon compte Facebook a été piraté hier soir",
    "j'ai écrit à Orange pour leur dire que ma ligne était coupée",
    "je voudrais un prestataire en cybersécurité pour ma PME",
    "je suis en panique, tous mes fichiers sont chiffrés",
    "j'ai acheté un téléphone en ligne et je ne l'ai jamais reçu",
    "on m'a demandé une rançon de 500 euros en bitcoins",
    "je suis à la maison et mon ordinateur est bloqué",
    "un faux conseiller de ma banque m'a appelé",
    "je cherche quelqu'un de confiance pour nettoyer mon ordi",
    "le 12 mars j'ai payé 15000 euros à un faux avocat",
    "une PME de 30 personnes avec un rançongiciel",
    "il faut que quelqu'un vienne à domicile",
    "je suis au travail et ma messagerie envoie des spams",
    "j'ai porté plainte au commissariat hier",
]
TYPO_TEMPLATES = ["{}", "je suis à {}", "près de {}", "j'habite {}"]
NAME_TEMPLATES = [
    "{}",
    "je suis à {}",
    "près de {}",
    "j'habite {}",
    "un informaticien sur {} svp",
    "mairie de {} bloquée par un rançongiciel",
    "on est une association basée à {} et notre site est piraté",
    "bonjour, je suis à {} et j'ai reçu un mail bizarre de ma banque",
]
STORY = (
    "Bonjour, j'ai reçu hier un message de la part d'un soi-disant conseiller de ma banque, qui m'a dit de "
    "cliquer sur un lien pour valider une opération de 800 euros. J'ai donné mes codes à cette personne, puis j'ai "
    "vu des virements vers un compte à l'étranger. Je ne sais pas quoi faire, je suis à bout, j'ai peur de perdre "
    "le reste de mes économies, et mon fils dit qu'il faut aller au commissariat de police avant la fin de la "
    "semaine. Pouvez-vous m'aider à comprendre ce qu'il faut faire en premier ? "
)


def typo(name: str, rng: random.Random) -> str:
    """The name with one letter dropped, doubled or swapped with the next one (never the first letter)."""
    if len(name) < 6:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def phrases(count: int, rng: random.Random) -> List[str]:
    geography = geo.load()
    communes = geography.communes
    departements = list(geography.departements.values())
    found: List[str] = []
    while len(found) < count:
        draw = rng.random()
        commune = rng.choice(communes)
        if draw < 0.45:
            found.append(rng.choice(NAME_TEMPLATES).format(commune.name))
        elif draw < 0.55:
            found.append(rng.choice(TYPO_TEMPLATES).format(typo(commune.name, rng)))
        elif draw < 0.65:
            found.append(
                rng.choice(("{0}", "{0} {1}", "{1} {0}", "code postal {0}")).format(commune.postal_code, commune.name)
            )
        elif draw < 0.75:
            dep = rng.choice(departements)
            found.append(rng.choice(("dans le {0}", "en {1}", "je suis dans le {1}", "{0}")).format(dep.code, dep.name))
        elif draw < 0.95:
            found.append(rng.choice(NO_PLACE))
        else:
            found.append(STORY * rng.randint(1, 3) + rng.choice(NAME_TEMPLATES).format(commune.name))
    return found


def clear_caches() -> None:
    for name in dir(geo):
        function = getattr(geo, name)
        if callable(function) and hasattr(function, "cache_clear") and function is not geo.load:
            function.cache_clear()


def timed(texts: List[str], call: Callable[[str], object]) -> List[float]:
    clear_caches()
    timings = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def report(label: str, timings: List[float]) -> float:
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * len(timings)) - 1]
    print(
        f"  {label:<28} p50 {p50:6.3f} ms   p95 {p95:6.3f} ms   max {timings[-1]:7.3f} ms   "
        f"mean {statistics.fmean(timings):6.3f} ms"
    )
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phrases", type=int, default=600)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--loads", type=int, default=3, help="how many times load() is timed (best kept)")
    args = parser.parse_args()

    loads = []
    for _ in range(args.loads):
        geo.load.cache_clear()
        gc.collect()
        started = time.perf_counter()
        geo.load()
        loads.append(time.perf_counter() - started)
    geo.load.cache_clear()
    gc.collect()
    tracemalloc.start()
    geography = geo.load()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"load(): {len(geography.communes)} communes, {len(geography.departements)} départements; "
        f"best of {args.loads}: {min(loads) * 1000:.0f} ms (first: {loads[0] * 1000:.0f} ms); "
        f"held in memory: {held / 1e6:.1f} MB"
    )

    texts = phrases(args.phrases, random.Random(args.seed))
    for text in texts[:20]:  # warm-up: compiled patterns, first-call costs
        geo.locate(text)
    print(f"locate() over {len(texts)} phrases (caches emptied before each pass):")
    worst = max(
        report("latest message", timed(texts, geo.locate)),
        report("anchored_only (NLU)", timed(texts, lambda t: geo.locate(t, anchored_only=True))),
        report("too_vague", timed(texts, geo.too_vague)),
    )
    found = sum(geo.locate(t) is not None for t in texts)
    print(f"  places found in {found} of {len(texts)} phrases")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak_mb:.0f} MB")
    print(f"worst p95: {worst:.3f} ms (target: well under 5 ms) {'OK' if worst < 5 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
