"""One step of a VIP's request path as the path view draws it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HopState = Literal["ok", "bad", "planned", "unknown", "fault"]


@dataclass(frozen=True)
class Hop:
    """One step of a VIP's request path, indented by `depth`."""

    depth: int
    text: str
    state: HopState
