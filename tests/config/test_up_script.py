"""`make up` (scripts/up.sh) run for real on a terminal (a pty), with `pulumi` and `kubectl` replaced by recorders on
PATH (no Pulumi CLI or cluster can run here): the admin password prompt asks for the *current* admin password of an
existing Nexus (Nexus takes the stack's password only when it creates its admin user, on empty data), what is typed
is stored as the secret, and an empty answer generates one for a new installation."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

from tests.support.stack import ROOT

PROMPT = "Current admin password of your existing Nexus, or empty to generate one for a new installation: "
FAKE_PULUMI = """#!/bin/sh
echo "pulumi $*" >> "$RECORD"
case "$1 $2" in
  "version "*) echo v3.200.0 ;;                  # make doctor's check, which up.sh runs first
  "whoami "*) echo '{"url": "https://api.pulumi.example"}' ;;
  "config get") exit 1 ;;                       # no adminPassword set yet
  "config set") if [ "$3" = "--secret" ]; then printf '%s=' "$4" >> "$RECORD"; cat >> "$RECORD"; echo >> "$RECORD"; fi ;;
esac
exit 0
"""


def run_up(tmp_path: Path, typed: str) -> tuple[str, str]:
    """Run scripts/up.sh on a pty answering `typed` to the password prompt and 'n' to the EULA; (screen, record)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, body in (("pulumi", FAKE_PULUMI), ("kubectl", "#!/bin/sh\necho test-context\n")):
        (bin_dir / tool).write_text(body)
        (bin_dir / tool).chmod(0o755)
    record = tmp_path / "record"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "RECORD": str(record), "STACK": "prod"}
    env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    main, side = pty.openpty()
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "up.sh")], stdin=side, stdout=side, stderr=side,
                            env=env, cwd=tmp_path, close_fds=True)
    os.close(side)
    screen, answers, deadline = b"", [(PROMPT.encode(), typed), (b"[y/N] ", "n")], time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        if answers and answers[0][0] in screen:
            os.write(main, (answers.pop(0)[1] + "\n").encode())
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=10)
    os.close(main)
    assert proc.returncode == 0, screen.decode(errors="replace")
    return screen.decode(errors="replace"), record.read_text()


def test_the_password_prompt_asks_for_the_existing_nexus_current_password(tmp_path):
    screen, record = run_up(tmp_path, "the-current-one")
    assert PROMPT in screen
    assert "adminPassword=the-current-one\n" in record
    assert "the-current-one" not in screen                  # read without echo
    assert record.rstrip().endswith("pulumi up --stack prod")


def test_an_empty_answer_generates_a_password_for_a_new_installation(tmp_path):
    screen, record = run_up(tmp_path, "")
    assert "generated an admin password" in screen
    stored = next(line for line in record.splitlines() if line.startswith("adminPassword="))
    assert len(stored.removeprefix("adminPassword=")) >= 24
