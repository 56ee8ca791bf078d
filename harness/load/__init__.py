"""What ``load.py`` (the locustfile at the repository root) is made of, kept importable and testable
without locust: ``feed`` (a gevent-friendly SignalR hub connection over websocket-client, driving
``signalr_protocol``), ``stats`` (microsecond latency histograms, sequence-gap tracking, the
pass/fail thresholds) and ``simulator`` (starting a simulator and setting its rates for a run).

Why websocket-client in greenlets and not an asyncio client: locust runs on gevent, where one
asyncio loop per process is the limit, and a websocket-client greenlet per connection measured
~15k msg/s per process with one locust event per message (``../shared/reference/load-memory.md``).
"""
