"""`make bench`'s one table: a row per measurement, each the application's figure against
a reference doing the same work in the same run, the ratio, the target, met or missed.

Only ratios hold from machine to machine: every absolute figure is written with
`absolute()`, which labels it as this machine's. A section is a callable taking the
`Bench` (the database, the runs, a server when it needs one) and returning rows;
operations/bench_sections.py lists them in the table's order (SECTIONS), and other
parts add theirs there.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

ABSOLUTE = "absolu (cette machine)"


def absolute(value, unit="s"):
    """A figure of this machine only: `1.23 s absolu (cette machine)`."""
    if unit == "s":
        text = f"{value:.2f} s"
    elif unit == "Mo":
        text = f"{value:.0f} Mo"
    else:
        text = f"{_number(value)} {unit}"
    return f"{text} {ABSOLUTE}"


def _number(value):
    """12345.6 -> `12 346` (narrow no-break spaces), for the French table."""
    return f"{value:,.0f}".replace(",", "\u202f")


def _decimal(value):
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
    return text.replace(".", ",")


@dataclass(frozen=True)
class Target:
    """`at_least` bound (≥) or at most (≤) on a row's value, in `unit`."""

    bound: float
    at_least: bool = True
    unit: str = "×"

    def met(self, value):
        return value >= self.bound if self.at_least else value <= self.bound

    def __str__(self):
        space = "" if self.unit == "×" else " "
        return f"{'≥' if self.at_least else '≤'} {_decimal(self.bound)}{space}{self.unit}"


@dataclass
class Row:
    """One measurement. `ratio` compares the app with the reference (how it is computed
    is said in `what`); `value` is what the target judges, the ratio unless given;
    `reason` says why a missed target was missed."""

    what: str
    app: str
    reference: str
    ratio: float | None = None
    target: Target | None = None
    value: float | None = None
    reason: str = ""
    unit: str = "×"

    @property
    def met(self):
        """True, False, or None when the row has no target (given for information)."""
        if self.target is None:
            return None
        judged = self.ratio if self.value is None else self.value
        return None if judged is None else self.target.met(judged)

    def verdict(self):
        if self.met is None:
            return "indicatif"
        if self.met:
            return "atteint"
        return f"**manqué** : {self.reason}" if self.reason else "**manqué**"

    def cells(self):
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}{self.unit}"
        target = "" if self.target is None else str(self.target)
        return [self.what, self.app, self.reference, ratio, target, self.verdict()]


HEADER = ["mesure", "application", "référence", "ratio", "cible", "résultat"]


def table(rows):
    """The rows as one Markdown table (pipes in cells escaped)."""
    lines = [_line(HEADER), _line(["---"] * len(HEADER))]
    lines += [_line(row.cells()) for row in rows]
    return "\n".join(lines)


def _line(cells):
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


def summary(rows):
    """`12 atteints, 3 manqués, 4 indicatifs`."""
    met = sum(1 for row in rows if row.met is True)
    missed = sum(1 for row in rows if row.met is False)
    other = sum(1 for row in rows if row.met is None)
    return ", ".join(
        f"{count} {word}{'s' * (count > 1)}"
        for count, word in ((met, "atteint"), (missed, "manqué"), (other, "indicatif"))
    )


def write_section(path, name, text):
    """Puts `text` between `<!-- name -->` and `<!-- /name -->` in the file at `path`,
    replacing what was there and keeping the rest (`make bench` and `make bench-demo`
    each own a section of docs/benchmarks.md); appends the section if it is missing."""
    path = Path(path)
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    content = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(content):
        content = pattern.sub(lambda _match: block, content, count=1)
    else:
        content = f"{content.rstrip()}\n\n{block}\n" if content.strip() else f"{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


@dataclass
class Bench:
    """What a section may use: the database's name, best-of `runs`, the command's output
    (for progress lines), the port of the server it starts, and its own notes."""

    database: str
    runs: int = 3
    duration: int = 10
    connections: int = 32
    port: int | None = None
    say: object = print
    notes: list = field(default_factory=list)
