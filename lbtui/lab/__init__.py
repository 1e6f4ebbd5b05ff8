"""The local multi-host lab: a dockerd per network namespace on one bridge, offline images.

Public API (the CLI, the tests and the actions build on it):

    LabSpec(name="lab", hosts=3, subnet="198.18.0.0/24", tls=False)
    lab_up(spec, report) -> LabStatus       idempotent; repairs what a killed session left
    lab_down(spec, report) -> None          removes everything the lab created
    lab_status(spec) -> LabStatus           per host: socket, address, pid, reachable, ...
"""

from __future__ import annotations

from lbtui.lab.images import HAPROXY_IMAGE, WEB_IMAGE, WEB_IMAGE_V2
from lbtui.lab.lifecycle import lab_down, lab_up
from lbtui.lab.spec import LabSpec
from lbtui.lab.status import LabHostStatus, LabStatus, lab_status, recorded_spec
from lbtui.lab.tls import LabTls

__all__ = [
    "HAPROXY_IMAGE",
    "WEB_IMAGE",
    "WEB_IMAGE_V2",
    "LabHostStatus",
    "LabSpec",
    "LabStatus",
    "LabTls",
    "lab_down",
    "lab_status",
    "lab_up",
    "recorded_spec",
]
