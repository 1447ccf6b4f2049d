"""What `make loadtest` requires of its clients: each kind must have done a minimum of
work, or the run proves nothing (zero reports seen equals zero reports stored)."""

from dataclasses import dataclass

# What the managers download, in turn: the smallest report and the largest, both formats.
DOWNLOADS = (
    "/rapports/synthese.csv?year=2021",
    "/rapports/realisations.csv",
    "/rapports/realisations.xlsx",
)


@dataclass(frozen=True)
class Kind:
    """A kind of client's work: its option, and how the table and messages name it."""

    key: str
    option: str
    label: str  # « pages publiques lues »
    client: str  # « visiteurs anonymes »


KINDS = (
    Kind("pages", "--min-pages", "pages publiques lues", "visiteurs anonymes"),
    Kind("reports", "--min-reports", "réalisations déclarées", "référents"),
    Kind("validations", "--min-validations", "réalisations validées", "agents"),
    Kind("downloads", "--min-downloads", "téléchargements de chaque rapport", "gestionnaires"),
)

# Reached easily by 50 clients in 30 s on 2 cores, PostgreSQL restarted half-way included:
# such a run on a shared, loaded 2-core machine did 700 pages, 36 reports, 27 validations
# and each download 2 or 3 times (docs/benchmarks.md); these are about a third of that.
MINIMUMS = {"pages": 200, "reports": 10, "validations": 10, "downloads": 1}


def shortfalls(done, minimums):
    """French messages, one per kind of work below its minimum; [] when all were reached.
    `done` counts pages, reports and validations, and downloads per address."""
    messages = []
    for kind in KINDS:
        minimum = minimums[kind.key]
        if kind.key == "downloads":
            for address in DOWNLOADS:
                count = done["downloads"].get(address, 0)
                if count < minimum:
                    messages.append(
                        f"{address} téléchargé {count} fois par les gestionnaires, "
                        f"il en faut au moins {minimum} ({kind.option})."
                    )
        elif done[kind.key] < minimum:
            messages.append(
                f"{kind.label} par les {kind.client} : {done[kind.key]}, "
                f"il en faut au moins {minimum} ({kind.option})."
            )
    return messages


def throughput(done, seconds):
    """{kind's label: per second}, downloads all addresses together."""
    counts = {**done, "downloads": sum(done["downloads"].values())}
    return {
        f"{kind.client} : {kind.label.replace(' de chaque rapport', '')}": round(
            counts[kind.key] / seconds, 1
        )
        for kind in KINDS
    }
