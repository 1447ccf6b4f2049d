"""What `make loadtest` requires of its clients: each kind must have done a minimum of
work, or the run proves nothing (zero reports seen equals zero reports stored)."""

import re
import time
from dataclasses import dataclass

# A file built in the background, as /rapports/ links it once ready.
BUILD_FILE = re.compile(r'href="(/rapports/fichiers/[0-9a-f-]{36}/)"')
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


def received_a_file(session, status):
    """Whether the last answer was a file read whole: a page (HTML) is not one, e.g. the
    page that offers to prepare a long report in the background."""
    return (
        status == 200 and session.received > 0 and not session.content_type.startswith("text/html")
    )


def download(session, address, until, record=lambda status: None, wait=1.0):
    """A manager's download of `address`, as a browser would do it; True once a file was
    received whole. At once when the server sends it; when it answers the page offering
    to prepare it, the manager presses « Préparer le fichier » (a POST with the CSRF
    token), then watches /rapports/ until the file's link appears (the build ran in the
    request with the immediate backend, beside it with the worker), and fetches the
    file. False on a refusal (429), an error, a failed build or time up; every answer's
    status goes to `record`."""
    status, _ = session.request("GET", address, keep=False)
    record(status)
    if received_a_file(session, status):
        return True
    if status != 200 or not session.content_type.startswith("text/html"):
        return False
    status, page = session.request("GET", "/rapports/")
    record(status)
    before = set(BUILD_FILE.findall(page.decode(errors="replace")))
    status, _ = session.request("POST", address, {})
    record(status)
    if status != 302:
        return False  # 429: one's own build still running, or the limit in all
    while time.monotonic() < until:
        status, page = session.request("GET", "/rapports/")
        record(status)
        text = page.decode(errors="replace")
        ready = [link for link in BUILD_FILE.findall(text) if link not in before]
        if ready:
            status, _ = session.request("GET", ready[0], keep=False)
            record(status)
            return received_a_file(session, status)
        if status == 200 and "<progress" not in text:
            return False  # no build running, no new file: it failed
        time.sleep(wait)
    return False
