"""The rules a finding is judged by: exactly its verdicts fail, or it is not shown; unknown is
neither a failure nor a pass."""

from __future__ import annotations

import pytest

from harness.run import checks
from harness.run.findings import Claim, judge
from harness.run.history import RunHistory
from harness.run.verdicts import Verdict, overall

PASS, FAIL = True, False
R2 = Claim("R2", "reproduced", "no liveness check", ("x.py:1",), "test_s", ("detected_half_open",))
R17 = Claim("R17", "reproduced", "no resubscribe", ("x.py:2",), "test_s", ("recovered", "no_silent_stall"))
R7 = Claim("R7", "refuted", "lock released before callbacks", ("x.py:3",), "test_s", ("no_deadlock",))


def verdicts(**outcomes: bool | None) -> list[Verdict]:
    return [Verdict(name, ok, "") for name, ok in outcomes.items()]


def test_exactly_the_claimed_verdicts_failing_reproduces_the_findings() -> None:
    run = verdicts(detected_half_open=FAIL, recovered=FAIL, no_silent_stall=FAIL, no_deadlock=PASS)
    judged = judge([R2, R17, R7], run)
    assert judged.status == "reproduced"
    assert judged.problems == ()


def test_a_listed_verdict_that_passes_fails_the_run_and_says_which() -> None:
    run = verdicts(detected_half_open=FAIL, recovered=PASS, no_silent_stall=FAIL)
    judged = judge([R2, R17], run)
    assert judged.status == "error"
    assert judged.problems == ("R17 is not shown: its verdict recovered came out pass",)


def test_an_unlisted_failed_verdict_fails_the_run_and_says_which() -> None:
    run = [Verdict("detected_half_open", False, ""), Verdict("connected_at_end", False, "market down")]
    judged = judge([R2], run)
    assert judged.status == "error"
    assert judged.problems == ("connected_at_end failed, which no finding here explains: market down",)


def test_a_listed_verdict_that_is_unknown_or_never_checked_does_not_show_the_finding() -> None:
    assert judge([R2], verdicts(detected_half_open=None)).problems == (
        "R2 is not shown: its verdict detected_half_open came out unknown",
    )
    assert judge([R2], verdicts(other=PASS)).problems == (
        "R2 is not shown: its verdict detected_half_open was not checked",
    )


def test_a_refutation_needs_its_verdicts_to_pass_not_to_be_unknown() -> None:
    assert judge([R7], verdicts(no_deadlock=PASS)).status == "pass"
    assert judge([R7], verdicts(no_deadlock=None)).problems == (
        "R7 (refuted) needs no_deadlock to pass: it came out unknown",
    )
    assert judge([R7], verdicts(no_deadlock=FAIL)).status == "error"


def test_without_claims_a_failure_is_an_error_and_unknown_stays_unknown() -> None:
    assert judge([], verdicts(a=PASS, b=PASS)).status == "pass"
    unknown = judge([], verdicts(a=PASS, b=None))
    assert unknown.status == "unknown"
    assert unknown.unknown == ("b",)
    assert judge([], verdicts(a=FAIL, b=None)).status == "error"


def test_unknown_is_neither_a_pass_nor_a_failure() -> None:
    verdict = Verdict.unknown("queues_bounded", "the client does not report its queue")
    assert verdict.status == "unknown"
    assert not verdict.failed
    assert verdict.ok is not True
    assert overall([Verdict("a", True, ""), verdict]) == "unknown"
    assert overall([verdict, Verdict("b", False, "")]) == "fail"
    assert Verdict.from_json(verdict.to_json()) == verdict


def test_a_claim_must_name_its_scenario_and_verdicts_unless_unobservable() -> None:
    with pytest.raises(ValueError, match="exact verdicts"):
        Claim("R1", "reproduced", "why", scenario="test_s")
    with pytest.raises(ValueError, match="no scenario"):
        Claim("R10", "unobservable", "why", scenario="test_s", verdicts=("x",))


def metrics(**fields: object) -> dict[str, object]:
    return {"t": 1.0, "kind": "metrics", "queued": None, "tasks": 3, "counters": {}, **fields}


def test_a_null_driver_field_makes_its_verdict_unknown_not_failed() -> None:
    run = RunHistory(client=[metrics(), metrics()], meta={"end": 2.0})
    assert checks.queues_bounded(run, 10).status == "unknown"
    assert checks.tasks_bounded(run, 10).status == "pass"
    assert checks.counter_between(run, "callbacks_skipped_open_breaker", 1, 10).status == "unknown"
    assert checks.token_never_in_logs(run).status == "unknown"
    run.client.append(metrics(counters={"callbacks_skipped_open_breaker": 0, "tokens_logged": 2}))
    assert checks.counter_between(run, "callbacks_skipped_open_breaker", 1, 10).failed  # a real zero
    assert checks.token_never_in_logs(run).failed


def test_a_state_the_client_cannot_report_makes_its_verdict_unknown() -> None:
    run = RunHistory(meta={"end": 2.0, "client_states": ["connecting", "connected", "reconnecting"]})
    assert checks.failed_visibly(run, "market", "suspended").status == "unknown"
    run.meta.pop("client_states")  # a client that can say "failed" and never did
    assert checks.failed_visibly(run, "market", "suspended").failed


def test_a_run_that_is_not_as_claimed_fails_and_says_which_verdict() -> None:
    from harness.run.findings import FindingReproduced, enforce

    exact = verdicts(detected_half_open=FAIL, recovered=PASS)
    with pytest.raises(FindingReproduced, match="R2 reproduced"):
        enforce(judge([R2], exact), [R2], exact, "run x")
    listed_passed = verdicts(detected_half_open=PASS)
    with pytest.raises(AssertionError, match="its verdict detected_half_open came out pass") as caught:
        enforce(judge([R2], listed_passed), [R2], listed_passed, "run x")
    assert not isinstance(caught.value, FindingReproduced)  # a plain failure, never an expected one
    unlisted = verdicts(detected_half_open=FAIL, connected_at_end=FAIL)
    with pytest.raises(AssertionError, match="connected_at_end failed, which no finding here explains"):
        enforce(judge([R2], unlisted), [R2], unlisted, "run x")
    unknown = verdicts(detected_half_open=PASS, queues_bounded=None)
    enforce(judge([], unknown), [], unknown, "run x")  # unknown is not a failure: nothing raised
