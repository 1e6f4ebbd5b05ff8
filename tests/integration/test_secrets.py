"""The stats password on the real lab: never in Docker's events, exec records or labels.

Docker keeps every exec's command line in its events and exec inspect data, and
shows labels to anyone who can `docker inspect`: after an apply and a redeploy, the
password must be in none of them, the config-hash label must be of the masked
config, and the config file in the LB must be readable by its owner only.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

from lbtui.core.haproxy.config import CONFIG_PATH
from lbtui.core.haproxy.config_text import redact
from lbtui.core.redeploy.execute import execute_redeploy
from lbtui.core.redeploy.plan import RedeployMode, plan_redeploy
from lbtui.core.topology.model import LABEL_CONFIG_HASH
from lbtui.lab import LabStatus
from tests.integration.probes import sdk
from tests.integration.redeploy_support import PASSWORD, VIP, Deployed, deployed_reference

pytestmark = pytest.mark.integration
HOSTS = ("docker1", "docker2", "docker3")


@pytest.fixture(scope="module")
def since() -> float:
    return time.time() - 1.0


@pytest.fixture(scope="module")
def ref(
    lab: LabStatus, since: float, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    with deployed_reference(lab, tmp_path_factory.mktemp("secrets"), "secrets") as deployed:
        yield deployed


def _weights(data: dict[str, Any]) -> None:
    data["vips"][VIP]["servers"] = [
        {"backend": "web1", "weight": 2},
        {"backend": "web2", "weight": 1},
    ]


def test_the_password_is_in_no_event_exec_record_or_label(
    lab: LabStatus, ref: Deployed, since: float
) -> None:
    ref.write(_weights)
    plan = plan_redeploy(ref.path, VIP, ref.hosts)
    assert plan.mode is RedeployMode.RELOAD
    assert PASSWORD in plan.new_config, "the test must look for a password that is deployed"
    execute_redeploy(plan, ref.hosts)
    until = time.time() + 1.0
    execs = 0
    for host in HOSTS:
        with sdk(lab, host) as client:
            events = list(client.api.events(since=since, until=until, decode=True))
            assert events, f"no events read from {host}"
            for event in events:
                assert PASSWORD not in json.dumps(event), event
                exec_id = (event.get("Actor") or {}).get("Attributes", {}).get("execID")
                if exec_id and str(event.get("Action", "")).startswith("exec_create"):
                    execs += 1
                    record = json.dumps(client.api.exec_inspect(exec_id))
                    assert PASSWORD not in record, record
            for container in client.api.containers(all=True):
                labels = json.dumps(client.api.inspect_container(container["Id"])["Config"])
                assert PASSWORD not in labels, f"{container['Names']}: {labels}"
    assert execs >= 2, "the redeploy's execs (reload, runtime API) must have been inspected"

    with sdk(lab, "docker1") as client:
        lb = client.api.inspect_container("haproxy")
        stream, _stat = client.api.get_archive("haproxy", CONFIG_PATH)
        data = b"".join(stream)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.getmembers()[0]
        live = archive.extractfile(member)
        assert live is not None
        text = live.read().decode()
    assert text == plan.new_config
    assert member.mode & 0o777 == 0o600, oct(member.mode)
    label = lb["Config"]["Labels"][LABEL_CONFIG_HASH]
    created_with = hashlib.sha256(redact(text).encode()).hexdigest()
    assert label != hashlib.sha256(text.encode()).hexdigest()
    # The label was set when apply created the LB (before the redeploy's weight change).
    ref.write()
    first = plan_redeploy(ref.path, VIP, ref.hosts)
    assert label == hashlib.sha256(redact(first.new_config).encode()).hexdigest()
    assert label != created_with
