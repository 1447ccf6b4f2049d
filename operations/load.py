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
    Kind("downloads", "--min-downloads", "téléchargements", "gestionnaires"),
)

# Reached by 50 clients in 30 s on 2 cores, PostgreSQL restarted half-way included, even
# on this shared machine while other test suites ran: such runs did 494 to 700 pages, 8
# to 36 reports, 2 to 28 validations and 4 to 7 downloads (the lowest at a load average
# of 12, docs/benchmarks.md). Each minimum is at or under the lowest: small, but never
# zero, so that "what clients saw equals the database" cannot hold by doing nothing.
# Downloads count all addresses together: a manager finishing four in 30 s cannot
# promise each of the three, and a download cut by the restart is tried again.
MINIMUMS = {"pages": 100, "reports": 5, "validations": 2, "downloads": 2}


def shortfalls(done, minimums):
    """French messages, one per kind of work below its minimum; [] when all were reached.
    `done` counts pages, reports and validations, and downloads per address."""
    counts = {**done, "downloads": sum(done["downloads"].values())}
    messages = []
    for kind in KINDS:
        minimum = minimums[kind.key]
        if counts[kind.key] < minimum:
            messages.append(
                f"{kind.label} par les {kind.client} : {counts[kind.key]}, "
                f"il en faut au moins {minimum} ({kind.option})."
            )
    return messages


def throughput(done, seconds):
    """{kind's label: per second}, downloads all addresses together."""
    counts = {**done, "downloads": sum(done["downloads"].values())}
    return {f"{kind.client} : {kind.label}": round(counts[kind.key] / seconds, 1) for kind in KINDS}
