"""The plumbing scenarios, soak and load share: process lifetimes, client venvs and drivers.

(Toxiproxy, fault recipes and timelines, history, checkers and reports join in later issues.)
"""
