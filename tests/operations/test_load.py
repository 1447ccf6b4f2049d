"""make loadtest fails unless each kind of client did a minimum of work."""

from operations.load import DOWNLOADS, MINIMUMS, shortfalls, throughput


def _done(pages=1000, reports=100, validations=100, downloads=5):
    return {
        "pages": pages,
        "reports": reports,
        "validations": validations,
        "downloads": dict.fromkeys(DOWNLOADS, downloads),
    }


def test_enough_work_has_no_shortfall():
    assert shortfalls(_done(), MINIMUMS) == []


def test_no_write_at_all_is_a_shortfall_even_when_pages_were_read():
    messages = shortfalls(_done(reports=0, validations=0), MINIMUMS)
    assert messages == [
        f"réalisations déclarées par les référents : 0, il en faut au moins "
        f"{MINIMUMS['reports']} (--min-reports).",
        f"réalisations validées par les agents : 0, il en faut au moins "
        f"{MINIMUMS['validations']} (--min-validations).",
    ]


def test_downloads_of_every_report_count_together():
    done = _done()
    done["downloads"] = {"/rapports/synthese.csv?year=2021": 1}
    assert shortfalls(done, {**MINIMUMS, "downloads": 2}) == [
        "téléchargements par les gestionnaires : 1, il en faut au moins 2 (--min-downloads)."
    ]
    done["downloads"]["/rapports/realisations.xlsx"] = 1
    assert shortfalls(done, {**MINIMUMS, "downloads": 2}) == []


def test_a_minimum_is_reached_at_its_value_and_missed_below():
    assert shortfalls(_done(pages=300), {**MINIMUMS, "pages": 300}) == []
    assert shortfalls(_done(pages=299), {**MINIMUMS, "pages": 300}) == [
        "pages publiques lues par les visiteurs anonymes : 299, il en faut au moins 300 "
        "(--min-pages)."
    ]


def test_managers_download_realisations_in_both_formats_and_synthese():
    assert {address.split("?")[0] for address in DOWNLOADS} == {
        "/rapports/synthese.csv",
        "/rapports/realisations.csv",
        "/rapports/realisations.xlsx",
    }


def test_throughput_is_given_per_kind_of_client():
    assert throughput(_done(downloads=2), 10) == {
        "visiteurs anonymes : pages publiques lues": 100.0,
        "référents : réalisations déclarées": 10.0,
        "agents : réalisations validées": 10.0,
        "gestionnaires : téléchargements": 0.6,
    }
