"""The root namespace's FORWARD rule that keeps the lab bridge open.

With br_netfilter loaded, frames bridged between lab hosts traverse the root
namespace's FORWARD chain; a root-namespace dockerd sets its policy to DROP.
One ACCEPT rule per chain, tagged with the lab's name, lets the lab's own
bridge traffic through and nothing else.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from lbtui.lab.plan import LabPlan
from lbtui.lab.system import run

CHAINS = ("FORWARD", "DOCKER-USER")


def rule_spec(plan: LabPlan) -> list[str]:
    """The match and target of the lab's rule (without chain)."""
    return [
        "-i",
        plan.bridge,
        "-o",
        plan.bridge,
        "-m",
        "comment",
        "--comment",
        plan.rule_comment,
        "-j",
        "ACCEPT",
    ]


def chain_exists(chain: str) -> bool:
    """True when the filter table has that chain."""
    return run(["iptables", "-w", "-S", chain], check=False).returncode == 0


def present_chains() -> list[str]:
    """The chains the rule belongs in: FORWARD, and DOCKER-USER when a root dockerd made it."""
    return [chain for chain in CHAINS if chain_exists(chain)]


def rule_present(plan: LabPlan, chain: str) -> bool:
    """True when the lab's rule is in the chain."""
    return run(["iptables", "-w", "-C", chain, *rule_spec(plan)], check=False).returncode == 0


def missing_rules(plan: LabPlan) -> list[str]:
    """Chains that lack the lab's rule."""
    return [chain for chain in present_chains() if not rule_present(plan, chain)]


def ensure_rules(plan: LabPlan) -> list[str]:
    """Insert the rule at the top of every chain that lacks it; return those chains."""
    missing = missing_rules(plan)
    for chain in missing:
        run(["iptables", "-w", "-I", chain, "1", *rule_spec(plan)])
    return missing


def deletions(rules: Iterable[str], comment: str) -> list[list[str]]:
    """`iptables -D` argument lists for the `-S` lines that carry exactly this comment."""
    found = []
    for line in rules:
        words = shlex.split(line)
        if len(words) < 2 or words[0] != "-A":
            continue
        tagged = any(
            word == "--comment" and index + 1 < len(words) and words[index + 1] == comment
            for index, word in enumerate(words)
        )
        if tagged:
            found.append(["-D", *words[1:]])
    return found


def remove_rules(plan: LabPlan) -> int:
    """Delete every rule tagged with the lab's comment; return how many there were."""
    count = 0
    for chain in present_chains():
        listing = run(["iptables", "-w", "-S", chain]).stdout.splitlines()
        for deletion in deletions(listing, plan.rule_comment):
            run(["iptables", "-w", *deletion])
            count += 1
    return count


def tagged_rules(plan: LabPlan) -> list[str]:
    """Every rule of the filter table that carries the lab's comment (for checks)."""
    listing = run(["iptables", "-w", "-S"]).stdout.splitlines()
    return [line for line in listing if deletions([line], plan.rule_comment)]
