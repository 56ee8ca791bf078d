"""``split_frames``: outgoing bytes are cut into WebSocket frames of at most ``size`` bytes, so
records span frames (the protocol allows it; naive clients that parse one frame at a time break)."""

from __future__ import annotations

from typing import ClassVar

from .base import FaultError, ServerFault, Spec


class SplitFrames(ServerFault):
    name = "split_frames"
    describes = "records split across WebSocket frames"
    params_spec: ClassVar[Spec] = {"size": (int, 7)}

    def check(self) -> None:
        if self.params["size"] < 1:
            raise FaultError("split_frames: size must be at least 1")

    def frames(self, frames: list[bytes]) -> list[bytes]:
        size = self.params["size"]
        data = b"".join(frames)
        return [data[i : i + size] for i in range(0, len(data), size)]
