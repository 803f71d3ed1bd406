"""A certificate made exactly as the original how-to makes it (/work/shared/seed/): the system's openssl.cnf
with `subjectAltName = IP:<address>` added under `[ v3_ca ]`, then
`openssl req -newkey rsa:4096 -nodes -sha256 -keyout domain.key -x509 -days 365 -out domain.crt`
(the answers to its questions given with -subj). Self-signed: it is its own CA, as docker hosts hold it."""
from __future__ import annotations

import functools
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import require_binary


@dataclass(frozen=True)
class RecipeCert:
    crt: str      # domain.crt
    key: str      # domain.key


def _openssl_cnf(openssl: str) -> str:
    out = subprocess.run([openssl, "version", "-d"], capture_output=True, text=True, check=True).stdout
    return (Path(re.search(r'"(.*)"', out).group(1)) / "openssl.cnf").read_text()


@functools.cache
def recipe_cert(*ips: str, days: int = 365) -> RecipeCert:
    openssl = require_binary("openssl")
    with tempfile.TemporaryDirectory(prefix="recipe-cert-") as tmp:
        d = Path(tmp)
        cnf = _openssl_cnf(openssl)
        san = "subjectAltName = " + ",".join(f"IP:{ip}" for ip in ips)
        cnf, n = re.subn(r"^\[ v3_ca \]\n", f"[ v3_ca ]\n{san}\n", cnf, count=1, flags=re.M)
        assert n == 1, "no [ v3_ca ] section in the system openssl.cnf"
        (d / "openssl.cnf").write_text(cnf)
        subprocess.run([openssl, "req", "-newkey", "rsa:4096", "-nodes", "-sha256", "-keyout", str(d / "domain.key"),
                        "-x509", "-days", str(days), "-out", str(d / "domain.crt"), "-config", str(d / "openssl.cnf"),
                        "-subj", f"/C=CN/ST=BeiJing/L=BeiJing/O=team/CN={ips[0]}"],
                       check=True, capture_output=True)
        return RecipeCert(crt=(d / "domain.crt").read_text(), key=(d / "domain.key").read_text())
