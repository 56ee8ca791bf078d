"""Titles in plain words: from a scenario's pytest name, or the title the run was given."""

from __future__ import annotations

from harness.run.report.titles import Title, paragraphs, prose_html, scenario_title


def test_a_test_name_reads_as_a_sentence_with_its_review_ids_apart() -> None:
    title = scenario_title(
        "test_r5_r15_r16_t1_a_burst_past_a_slow_consumer_stays_bounded_and_nothing_is_lost_silently[reference]",
        "reference",
    )
    assert title == Title(
        "A burst past a slow consumer stays bounded and nothing is lost silently", ("R5", "R15", "R16", "T1")
    )


def test_a_name_without_ids_keeps_its_words() -> None:
    title = scenario_title(
        "test_partition_of_the_market_hub_is_detected[project-x-py-3.3.0]", "project-x-py-3.3.0"
    )
    assert title == Title("Partition of the market hub is detected")


def test_parameters_other_than_the_client_become_the_variant() -> None:
    assert (
        scenario_title("test_r17_one_hub_down[reference-market-user]", "reference").variant == "market-user"
    )
    assert scenario_title("test_x[market-reference]", "reference").variant == "market"
    assert scenario_title("test_x[reference]", "reference").variant == ""
    assert scenario_title("test_x[cmd:python a b]", "cmd:python a b").variant == ""


def test_a_given_title_wins_over_the_name() -> None:
    title = scenario_title(
        "test_incident[reference-token-expired]", "reference", "The market link goes silent "
    )
    assert title == Title("The market link goes silent")


def test_a_name_that_is_not_a_test_name_is_kept() -> None:
    assert scenario_title("example-0034").text == "Example-0034"


def test_a_docstring_becomes_one_line_per_paragraph() -> None:
    doc = "The market hub's TCP drops and\nfor 25 s its negotiate answers 503.\n\n  Then it is back.\n"
    assert paragraphs(doc) == [
        "The market hub's TCP drops and for 25 s its negotiate answers 503.",
        "Then it is back.",
    ]
    assert paragraphs("") == []


def test_a_paragraph_is_escaped_and_its_code_spans_set_as_code() -> None:
    assert prose_html("with ``allowReconnect: false`` & <b>") == (
        "with <code>allowReconnect: false</code> &amp; &lt;b&gt;"
    )
