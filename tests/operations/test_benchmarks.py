"""make bench's table: each row met, missed (with its reason) or given for information."""

from operations.benchmarks import ABSOLUTE, Row, Target, absolute, summary, table, write_section


def test_a_ratio_at_its_bound_meets_an_at_least_target():
    assert Row("csv", "1 s", "0,5 s", 0.5, Target(0.5)).met is True
    assert Row("csv", "1 s", "0,4 s", 0.49, Target(0.5)).met is False


def test_an_at_most_target_is_missed_above_its_bound():
    assert Row("requêtes", "7", "7", 1.0, Target(1, at_least=False)).met is True
    assert Row("requêtes", "8", "7", 8 / 7, Target(1, at_least=False)).met is False


def test_the_target_judges_the_value_when_one_is_given():
    row = Row("RSS", "300 Mo", "100 Mo", 3.0, Target(100, False, "Mo"), value=200)
    assert row.met is False
    assert Row("RSS", "150 Mo", "100 Mo", 1.5, Target(100, False, "Mo"), value=50).met


def test_a_missed_row_says_why():
    row = Row("xlsx", "9 s", "0,3 s", 0.03, Target(0.1), reason="écrit en Python")
    assert row.verdict() == "**manqué** : écrit en Python"
    assert row.cells()[3:] == ["0.03×", "≥ 0,1×", "**manqué** : écrit en Python"]


def test_a_row_without_target_is_for_information():
    row = Row("boucle", "1 s", "2 s", 2.0)
    assert row.met is None
    assert row.verdict() == "indicatif"


def test_targets_read_in_french():
    assert str(Target(0.5)) == "≥ 0,5×"
    assert str(Target(2, at_least=False)) == "≤ 2×"
    assert str(Target(100, at_least=False, unit="Mo")) == "≤ 100 Mo"


def test_absolute_figures_are_labelled_as_this_machines():
    assert absolute(1.234) == f"1.23 s {ABSOLUTE}"
    assert absolute(250.4, "Mo") == f"250 Mo {ABSOLUTE}"
    assert ABSOLUTE == "absolu (cette machine)"


def test_the_table_has_one_line_per_row_and_escapes_pipes():
    rows = [Row("a|b", "1", "1", 1.0, Target(1)), Row("c", "2", "1", 0.5, Target(1))]
    lines = table(rows).splitlines()
    assert len(lines) == 4
    assert lines[0] == "| mesure | application | référence | ratio | cible | résultat |"
    assert lines[2].startswith("| a\\|b | 1 | 1 | 1.00× | ≥ 1× | atteint |")
    assert summary(rows + [Row("d", "1", "1")]) == "1 atteint, 1 manqué, 1 indicatif"


def test_each_command_rewrites_only_its_section(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Banc d'essai\n\nIntroduction.\n", encoding="utf-8")
    write_section(path, "bench", "table 1")
    write_section(path, "bench-demo", "démo 1")
    write_section(path, "bench", "table 2")
    content = path.read_text(encoding="utf-8")
    assert content.startswith("# Banc d'essai\n\nIntroduction.\n")
    assert "table 1" not in content
    assert content.index("table 2") < content.index("démo 1")
    assert content.count("<!-- bench -->") == 1
