"""A minimal DNS server on loopback answering A queries from a dict, for HAProxy's resolvers.

It stands in for Docker's embedded DNS (127.0.0.11) in unit tests: change
`records` and HAProxy's next resolution sees the new address.
"""

from __future__ import annotations

import socket
import struct
import threading
from types import TracebackType

_TYPE_A = 1


class DnsStub:
    """Answers A queries for `records` (name -> IPv4); NXDOMAIN for other names."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = dict(records)
        self.queries = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dns-stub", daemon=True)

    def __enter__(self) -> DnsStub:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            answer = self._answer(query)
            if answer is not None:
                self._sock.sendto(answer, client)

    def _answer(self, query: bytes) -> bytes | None:
        if len(query) < 12:
            return None
        self.queries += 1
        ident, _flags, qdcount = struct.unpack("!HHH", query[:6])
        labels: list[str] = []
        offset = 12
        while offset < len(query) and query[offset] != 0:
            length = query[offset]
            labels.append(query[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
            offset += 1 + length
        question_end = offset + 5  # the terminating zero byte, qtype, qclass
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        question = query[12:question_end]
        name = ".".join(labels).lower().rstrip(".")
        address = self.records.get(name)
        rcode = 0 if address is not None else 3  # NOERROR or NXDOMAIN
        answers = b""
        if address is not None and qtype == _TYPE_A:
            answers = b"\xc0\x0c" + struct.pack("!HHIH", _TYPE_A, 1, 1, 4)
            answers += socket.inet_aton(address)
        header = struct.pack(
            "!HHHHHH",
            ident,
            0x8180 | rcode,  # a response, recursion desired and available
            qdcount,
            1 if answers else 0,
            0,
            0,
        )
        return header + question + answers
