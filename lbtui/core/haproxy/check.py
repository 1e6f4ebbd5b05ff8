"""What `haproxy -c` said about a configuration: its verdict, errors and warnings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """What `haproxy -c` said about a configuration."""

    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One human-readable paragraph: the verdict and every error and warning."""
        lines = ["configuration is valid" if self.valid else "configuration is invalid"]
        lines += [f"error: {e}" for e in self.errors]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# `[ALERT]    (1234) : config : parsing [f.cfg:12] : message` (the pid part is optional).
_CHECK_LINE = re.compile(r"^\[(?P<level>ALERT|WARNING|NOTICE)\]\s*(?:\(\d+\)\s*)?:\s*(?P<text>.*)$")
_GENERIC_ALERTS = (
    "Fatal errors found in configuration.",
    "Error(s) found in configuration file",
)


def parse_check_output(output: str, exit_code: int) -> CheckResult:
    """Turn the output and exit code of `haproxy -c` into errors and warnings."""
    errors: list[str] = []
    warnings: list[str] = []
    for raw in output.splitlines():
        match = _CHECK_LINE.match(raw.strip())
        if match is None:
            continue
        text = _clean_check_text(match["text"])
        if match["level"] == "ALERT":
            if not text.startswith(_GENERIC_ALERTS):
                errors.append(text)
        elif match["level"] == "WARNING":
            warnings.append(text)
    valid = exit_code == 0 and not errors
    if not valid and not errors:
        # haproxy failed without a specific alert (crash, wrong binary): keep what it said.
        detail = output.strip() or "no output"
        errors.append(f"haproxy -c exited with code {exit_code}: {detail}")
    return CheckResult(valid=valid, errors=errors, warnings=warnings)


def _clean_check_text(text: str) -> str:
    # "config : parsing [...]" -> "parsing [...]": the "config" tag tells the reader nothing.
    text = re.sub(r"^config\s*:\s*", "", text.strip())
    return re.sub(r"\s+", " ", text)
