"""sslyze as an outside judge of TLS servers on 127.0.0.1, offline.

    with loopback_only() as audit:
        results = scan({"gw": ScanTarget(port, ca)})
    mozilla_issues(results["gw"], "intermediate")   # {} when compliant, else sslyze's issue texts

sslyze checks against the Mozilla profiles it ships (sslyze/mozilla_tls_profile/5.7.json) and its own
bundled trust stores; nothing is downloaded. `loopback_only()` records every socket connect and name
lookup the process makes while it is open, so a test can prove the scan stayed on 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
from sslyze import (ScanCommand, ScanCommandsExtraArguments, Scanner, ServerNetworkLocation,
                    ServerScanRequest, ServerScanResult)
from sslyze.mozilla_tls_profile.tls_config_checker import (SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
                                                           MozillaTlsConfiguration,
                                                           ServerNotCompliantWithTlsConfiguration,
                                                           TlsConfigurationAsJson, TlsConfigurationEnum,
                                                           check_server_against_tls_configuration)
from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument

SCAN_COMMANDS = SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER | {ScanCommand.SESSION_RESUMPTION}
TLS_VERSIONS = {"TLSv1.2": OpenSslVersionEnum.TLSV1_2, "TLSv1.3": OpenSslVersionEnum.TLSV1_3}


@dataclass(frozen=True)
class ScanTarget:
    port: int
    ca: Path | None = None   # the trust anchor for the certificate checks (sslyze's "Supplied CA file")


def scan(targets: dict[str, ScanTarget]) -> dict[str, ServerScanResult]:
    """One sslyze run over every target (127.0.0.1:<port>), with the commands the Mozilla checker needs
    plus session resumption. The SNI and the certificate's expected subject are the IP 127.0.0.1."""
    requests = {}
    for name, target in targets.items():
        extra = (ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(custom_ca_file=target.ca))
                 if target.ca else ScanCommandsExtraArguments())
        requests[name] = ServerScanRequest(server_location=ServerNetworkLocation("127.0.0.1", target.port),
                                           scan_commands=SCAN_COMMANDS, scan_commands_extra_arguments=extra)
    scanner = Scanner()
    scanner.queue_scans(list(requests.values()))
    by_uuid = {r.uuid: r for r in scanner.get_results()}
    return {name: by_uuid[request.uuid] for name, request in requests.items()}


def mozilla_profile(name: str) -> TlsConfigurationAsJson:
    """The Mozilla profile as sslyze ships it."""
    return MozillaTlsConfiguration.get(TlsConfigurationEnum(name))


def mozilla_issues(result: ServerScanResult, profile: str) -> dict[str, str]:
    """sslyze's Mozilla checker: {} when compliant, else {check: reason}. An incomplete scan raises."""
    try:
        check_server_against_tls_configuration(result, mozilla_profile(profile))
    except ServerNotCompliantWithTlsConfiguration as err:
        return dict(err.issues)
    return {}


def accepted_suites(result: ServerScanResult, version: str) -> set[str]:
    """OpenSSL names of the suites the server accepted for `version` (TLSv1.2, TLSv1.3)."""
    field_name = {"TLSv1.2": "tls_1_2_cipher_suites", "TLSv1.3": "tls_1_3_cipher_suites"}[version]
    return {a.cipher_suite.openssl_name for a in getattr(result.scan_result, field_name).result.accepted_cipher_suites}


def session_ticket(port: int, version: str) -> bytes:
    """The session ticket the server hands out on one `version` handshake (b"" when none): an
    encrypted, stateless ticket carries the whole session (> 100 bytes) under a ticket key; OpenSSL's
    stateful TLS 1.3 ticket is only the 32-byte id of a session kept in the server's cache."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        client = SslClient(ssl_version=TLS_VERSIONS[version], underlying_socket=sock,
                           ssl_verify=OpenSslVerifyEnum.NONE)
        client.do_handshake()
        client.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        client.read(1024)  # TLS 1.3 tickets arrive after the handshake, with the first response
        text = client.get_session().as_text()
        client.shutdown()
    dump = text.split("TLS session ticket:", 1)[1].split("Start Time:", 1)[0] if "TLS session ticket:" in text \
        else ""
    return bytes.fromhex("".join(m.replace("-", " ") for m in
                                 re.findall(r"^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){0,15}[0-9a-f]{2})", dump, re.M)))


# ------------------------------------------------------------------------------------ network audit

@dataclass
class NetworkAudit:
    hosts: list[str] = field(default_factory=list)   # every address connected to or name looked up
    active: bool = False

    def outside_loopback(self) -> list[str]:
        def loopback(host: str) -> bool:
            try:
                return ipaddress.ip_address(host).is_loopback
            except ValueError:
                return host == "localhost"
        return [h for h in self.hosts if not loopback(h)]


_AUDIT = NetworkAudit()
_HOOKED = False


def _audit_hook(event: str, args: tuple) -> None:
    if not _AUDIT.active:
        return
    if event in ("socket.connect", "socket.sendto") and isinstance(args[1], tuple):
        _AUDIT.hosts.append(str(args[1][0]))
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        _AUDIT.hosts.append(str(args[0].decode() if isinstance(args[0], bytes) else args[0]))


@contextlib.contextmanager
def loopback_only() -> Iterator[NetworkAudit]:
    """Record (via a Python audit hook, all threads) every socket connect/sendto and name lookup
    until the block ends; the caller asserts on `outside_loopback()`."""
    global _HOOKED
    if not _HOOKED:   # audit hooks cannot be removed: install one for the process, switched by `active`
        sys.addaudithook(_audit_hook)
        _HOOKED = True
    _AUDIT.hosts.clear()
    _AUDIT.active = True
    try:
        yield _AUDIT
    finally:
        _AUDIT.active = False
