"""The harness: what puts a client under test between the simulator and Toxiproxy, and judges it.

The parts, each a folder, importing only those before it (``tests/unit/test_layout.py`` checks):

- ``infra/``: processes the harness starts (the simulator, Toxiproxy) and the clients of their
  APIs (``toxiproxy.py``, ``sim_control.py``), the proxy per hub, the Gateway's defaults;
- ``faults/``: every fault a timeline can schedule, one file per name, network and server alike;
- ``run/``: a run's record and judgement: timelines and their player, the history, the checks
  (invariants), three-valued verdicts, findings, the report pages and the matrix;
- ``clients/``: the clients under test: the adapter interface, the registry of client kinds,
  process adapters, venvs and the driver scripts;
- ``chaos/``: one scenario run (``ChaosRun``): the simulator, a proxy per hub, the client, a
  timeline, the verdicts and the report; the catalogue's scenarios and explore's are all such runs.

The users of the parts, which never import each other: ``explore/`` (generated timelines, shrunk),
``soak/`` (hours of load with memray), ``load/`` (what ``load.py``, the locustfile, is made of),
``demo/``.
"""
