"""``error_completions``: invocations of ``methods`` (all, if empty) are answered with an error
Completion instead of running, as a hub that throws."""

from __future__ import annotations

from typing import ClassVar

from ..dispatch import unexpected_error
from .base import FaultError, ServerFault, Spec


class ErrorCompletions(ServerFault):
    name = "error_completions"
    describes = "hub methods answer with an error"
    params_spec: ClassVar[Spec] = {"methods": (list, []), "error": (str, "Service unavailable")}

    def check(self) -> None:
        if not all(isinstance(m, str) for m in self.params["methods"]):
            raise FaultError("error_completions: methods must be a list of names")

    def invocation_error(self, target: str) -> str | None:
        methods = [m.lower() for m in self.params["methods"]]
        if methods and target.lower() not in methods:
            return None
        return unexpected_error(target, self.params["error"])
