"""Errors raised by the harness.

Tree::

    HarnessError            root
    ├── SetupError          the environment lacks something (an interpreter, a package, a binary);
    │                       the message says what to install or set
    └── ProcessError        a process the harness started failed to become ready or died early;
                            the message carries the tail of its log
"""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error raised by ``harness``."""


class SetupError(HarnessError):
    """Something the harness needs is missing; the message says how to get it."""


class ProcessError(HarnessError):
    """A started process failed to become ready, or exited when it should not have."""
