"""Values echoed back to the user: escaped, with URL passwords masked, bounded in length.

A topology file or an engine's error text can hold anything: an escape
sequence would drive the terminal, a password would land in a log, a
megabyte-long value would flood the screen. Every message that quotes such a
value passes through `shown()` before it is printed.
"""

from __future__ import annotations

import re

#: Longest message shown whole; longer ones keep their head and tail.
MAX_SHOWN = 600
_MASK = "***"
# scheme://user:password@ -> the password part; stops at the first '@', '/' or space.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*):[^\s/@]*@")


def mask_credentials(text: str) -> str:
    """`tcp://user:secret@host` -> `tcp://user:***@host`, wherever such a URL appears."""
    return _URL_PASSWORD.sub(rf"\1:{_MASK}@", text)


def escape_controls(text: str, *, keep: str = "") -> str:
    r"""Non-printable characters as `\x1b`, `\u202e` escapes (except those in `keep`)."""
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char.isprintable() or char in keep:
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` whole when short, else its head and tail around a count of what was cut."""
    if len(text) <= limit:
        return text
    tail = limit // 8
    cut = len(text) - (limit - tail)
    return f"{text[: limit - 2 * tail]}...[{cut} characters cut]...{text[-tail:]}"


def shown(text: str, *, keep: str = "", limit: int | None = MAX_SHOWN) -> str:
    """`text` safe to print: passwords masked, controls escaped, length bounded (unless None)."""
    safe = escape_controls(mask_credentials(text), keep=keep)
    return safe if limit is None else shorten(safe, limit)
