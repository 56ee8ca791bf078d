"""Chaos scenario runs (``pytest scenarios -m chaos``): ``run.py`` holds ``ChaosRun``, which starts
the simulator, puts a proxy in front of each hub, starts the client under test, plays a fault
timeline and writes the verdicts and the report of one scenario."""

from .run import ACCOUNT, ChaosRun, directory_name, replay_command

__all__ = ["ACCOUNT", "ChaosRun", "directory_name", "replay_command"]
