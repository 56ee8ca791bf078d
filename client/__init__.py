"""The reference realtime client for the ProjectX hubs (asyncio, on ``signalr_protocol``).

Not written yet: it is the subject of the reference-client issue, which lands after the ProjectX
simulator. The package exists so the distribution's layout is final.
"""
