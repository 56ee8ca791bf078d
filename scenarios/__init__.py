"""The chaos catalogue (``pytest scenarios/ -m chaos``): one file per failure family.

Not written yet: it is the subject of the Toxiproxy and catalogue issue.
"""
