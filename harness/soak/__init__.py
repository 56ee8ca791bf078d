"""Soak runs: hours of steady load with faults, memray in the client's own process, and a verdict
on whether its memory growth is bounded. ``config`` (what to run), ``runner`` (running it),
``growth`` (the pure analysis), ``capture`` (memray's files), ``report`` (the page), ``cli``
(``python -m harness.soak``)."""
