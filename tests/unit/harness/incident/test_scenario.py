"""Scenario files: what a good one gives, and a bad one refused whole with its line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chaos.session import INVARIANTS, Bounds
from harness.incident.scenario import ScenarioFileError, load

ROOT = Path(__file__).resolve().parents[4]
GOOD = """\
[scenario]
title = "A hub closes"
seed = 3
length = 5

[stream]
contracts = ["CON.F.US.MNQ.Z26"]
rates = { quote = 40 }
simulator = ["--token-lifetime", "60"]

[[steps]]
at = 1.0
fault = "server_close"
hub = "market"
params = { error = "Server timeout", allow_reconnect = true }
from = "capture line 7"

[[steps]]
at = 2
fault = "partition"
hub = "both"
duration = 1.5

[invariants]
recovered = { within_s = 4.5 }
tasks_bounded = { at_most = 12 }
no_silent_loss = true
token_never_in_logs = false
"""


def write(tmp_path: Path, text: str, name: str = "incident.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_shipped_incident_is_a_valid_scenario() -> None:
    files = sorted((ROOT / "scenarios" / "incidents").glob("*.toml"))
    assert len(files) >= 3
    for path in files:
        scenario = load(path)
        assert scenario.title
        assert scenario.summary
        assert scenario.timeline.steps


def test_a_good_file_gives_its_stream_timeline_invariants_and_bounds(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, GOOD))
    assert (scenario.title, scenario.seed, scenario.length_s) == ("A hub closes", 3, 5.0)
    assert scenario.contracts == ("CON.F.US.MNQ.Z26",)
    assert scenario.simulator_flags() == ["--quote-rate", "40", "--token-lifetime", "60"]
    first, second = scenario.timeline.steps
    assert (first.fault, first.params, first.duration_s) == (
        "server_close",
        {"error": "Server timeout", "allow_reconnect": True},
        None,
    )
    assert (second.fault, second.hub, second.duration_s) == ("partition", "both", 1.5)
    assert scenario.provenance == ("capture line 7", "")
    assert scenario.invariants == ("recovered", "no_silent_loss", "tasks_bounded")
    assert scenario.bounds == Bounds(recovery_s=4.5, tasks=12)


def test_without_invariants_every_one_is_judged_with_its_default_bound(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, '[scenario]\ntitle = "x"\n'))
    assert (scenario.invariants, scenario.bounds, scenario.timeline.steps) == (
        tuple(INVARIANTS),
        Bounds(),
        [],
    )


def test_a_recording_is_played_from_the_scenarios_own_folder(tmp_path: Path) -> None:
    (tmp_path / "rec.jsonl").write_text(
        '{"t": 0.5, "hub": "market", "target": "GatewayQuote", "key": "C", "arguments": ["C", {}]}\n'
    )
    scenario = load(
        write(tmp_path, '[scenario]\ntitle = "x"\n[stream]\nrecording = "rec.jsonl"\nspeed = 2\n')
    )
    assert scenario.recording == tmp_path / "rec.jsonl"
    assert scenario.simulator_flags()[-6:] == [
        "--replay", str(tmp_path / "rec.jsonl"), "--replay-speed", "2.0", "--replay-start", "on-request"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('[scenario]\ntitle = "x"\n[strem]\n', 3, "unknown table or key 'strem'"),
        ("[scenario]\nseed = 1\n", 1, "title is missing"),
        ('[scenario]\ntitle = "x"\nseed = "one"\n', 3, "seed must be int"),
        (
            '[scenario]\ntitle = "x"\n\n[[steps]]\nat = 1\nfault = "reset"\nhub = "market"\n\n'
            '[[steps]]\nat = 2\nfault = "earthquake"\nhub = "market"\n',
            11,
            "step 2: unknown fault 'earthquake'",
        ),
        ('[scenario]\ntitle = "x"\n[[steps]]\nat = 1\nfault = "reset"\nhub = "tape"\n', 3, "hub one of"),
        (
            '[scenario]\ntitle = "x"\n[[steps]]\nat = 1\nfault = "latency"\nhub = "market"\nspeed = 3\n',
            7,
            "a step has no 'speed'",
        ),
        (
            '[scenario]\ntitle = "x"\n[[steps]]\nat = 1\nfault = "latency"\nhub = "market"\n'
            "params = { seconds = 3 }\n",
            5,
            "unknown parameter",
        ),
        (
            '[scenario]\ntitle = "x"\n[[steps]]\nat = 0\nfault = "latency"\nhub = "market"\nduration = 2\n'
            '[[steps]]\nat = 1\nfault = "partition"\nhub = "market"\nduration = 3\n',
            8,
            "still holds the link's data",
        ),
        ('[scenario]\ntitle = "x"\n[stream]\nrecording = "missing.jsonl"\n', 4, "no file"),
        (
            '[scenario]\ntitle = "x"\n[stream]\nsimulator = ["--port", "80"]\n',
            4,
            "--port is set by the harness",
        ),
        ('[scenario]\ntitle = "x"\n[stream]\nbursts = ["fast"]\n', 4, "bursts: 'fast'"),
        ('[scenario]\ntitle = "x"\n[stream]\nstreams = ["quotes", "news"]\n', 4, "streams: some of"),
        ('[scenario]\ntitle = "x"\n[invariants]\nrecoverd = true\n', 4, "[invariants] has no 'recoverd'"),
        (
            '[scenario]\ntitle = "x"\n[invariants]\nrecovered = { within = 3 }\n',
            4,
            "recovered: true, { within_s = N }",
        ),
        (
            '[scenario]\ntitle = "x"\n[invariants]\nrecovered = { within_s = -1 }\n',
            4,
            "within_s must be a number above 0",
        ),
        ('[scenario]\ntitle = "x"\n[invariants]\nrecovered = false\n', 3, "every invariant is off"),
        ('[scenario]\ntitle = "x"\nseed = \n', 3, "not TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_its_line_and_why(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioFileError) as refused:
        load(path)
    message = str(refused.value)
    assert reason in message
    assert message.startswith(f"{path}:{line}: ") or f"line {line}" in message, message


def test_a_recording_with_a_broken_line_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "rec.jsonl").write_text(
        '{"t": 0.5, "hub": "market", "target": "Q", "key": "C", "arguments": []}\n{"t": -1}\n'
    )
    with pytest.raises(ScenarioFileError, match=r"incident.toml:4: rec.jsonl line 2: not a recorded event"):
        load(write(tmp_path, '[scenario]\ntitle = "x"\n[stream]\nrecording = "rec.jsonl"\n'))
