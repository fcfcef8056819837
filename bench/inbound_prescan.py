"""How long a 50,000-part message takes to be refused: the pre-scan alone, and the whole ingest.

Builds a message of about 7.4 MB in 50,000 small MIME parts (the shape that cost the standard
parser about a minute of CPU), then times, median of a few runs: the pre-scan's verdict, and
`ingest` keeping it aside on a fresh SQLite database with the demo loaded (each run with its own
Message-ID, so each is stored). With --full-parse it also times the standard parser on the same
bytes once, for comparison.

    .venv/bin/python bench/inbound_prescan.py [--parts 50000] [--runs 5] [--full-parse]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.in_process import make_app  # noqa: E402

FILLER = b"Line of an order log, padded to the size of a real part. " * 2


def message(parts: int, number: int = 0) -> bytes:
    """A message of ``parts`` text parts, about 150 bytes each."""
    head = (
        b"From: Nur Aisyah <aisyah@example.com>\r\nTo: support@acme-hosting.test\r\n"
        b"Subject: Order log\r\nMessage-ID: <prescan-%d@bench.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="part"\r\n\r\n' % number
    )
    body = b"".join(
        b"--part\r\nContent-Type: text/plain\r\n\r\n%d %s\r\n" % (index, FILLER) for index in range(parts)
    )
    return head + body + b"--part--\r\n"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--parts", type=int, default=50_000)
    arguments.add_argument("--runs", type=int, default=5)
    arguments.add_argument("--full-parse", action="store_true")
    options = arguments.parse_args()

    from flask_migrate import upgrade

    from storefront.demo import seed_demo
    from storefront.extensions import db
    from storefront.support.inbound.intake import ingest
    from storefront.support.inbound.prescan import scan

    raw = message(options.parts)
    print(f"message: {options.parts:,} parts, {len(raw) / 1e6:.1f} MB")
    scans = [timed(lambda: scan(raw, 100, 10))[0] for _ in range(options.runs)]
    print(f"pre-scan verdict: {scan(raw, 100, 10).problem!r}")
    print(f"pre-scan: median {statistics.median(scans) * 1000:.2f} ms")

    with tempfile.TemporaryDirectory() as directory:
        app = make_app(Path(directory))
        with app.app_context():
            upgrade()
            seed_demo(privacy_history=False)
            ingests = []
            for number in range(1, options.runs + 1):
                copy = message(options.parts, number)
                seconds, record = timed(lambda copy=copy: ingest(copy))
                ingests.append(seconds)
            print(f"ingest outcome: {record.outcome.value}: {record.reason}")
            print(f"ingest, refused and stored: median {statistics.median(ingests) * 1000:.1f} ms")
            db.engine.dispose()

    if options.full_parse:
        seconds, _ = timed(lambda: list(BytesParser(policy=policy.default).parsebytes(raw).walk()))
        print(f"the standard parser on the same bytes, once: {seconds:.1f} s")


if __name__ == "__main__":
    main()
