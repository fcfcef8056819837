"""The job worker: real Huey consumers on a real queue deliver the outbox to a real SMTP server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from storefront import create_app
from storefront.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from storefront.jobs import jobs_of
from storefront.mail.catcher import catcher_controller
from storefront.models import OutboxMessage, OutboxStatus
from tests.conftest import _test_config
from tests.mail.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]
STOREFRONT = Path(sys.executable).parent / "storefront"
A_MINUTE_PAST = datetime(2026, 1, 1, 0, 1)  # every minute sweeps the outbox; the other steps are due later


@pytest.fixture
def jobs_url(app: Flask, tmp_path: Path) -> str:
    """Give the app a real queue: a SQLite file of its own, as `storefront worker` would use."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app.config["JOBS_URL"] = url
    return url


@contextmanager
def running_worker(app: Flask, threads: int = 1) -> Iterator[Callable[[datetime], None]]:
    """Run a Huey consumer's worker threads for ``app``; yield a function that runs its scheduler's
    periodic sweep as of a moment."""
    huey = jobs_of(app).huey
    consumer = huey.create_consumer(
        workers=threads, worker_type="thread", initial_delay=0.02, max_delay=0.1, check_worker_health=False
    )
    workers = [thread for _, thread in consumer.worker_threads]
    for worker in workers:
        worker.start()
    scheduler = consumer._create_scheduler()
    try:
        yield scheduler.enqueue_periodic_tasks
    finally:
        consumer.stop_flag.set()
        for worker in workers:
            worker.join(10)


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    """Wait until ``condition()`` holds, or fail the test."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def statuses(app: Flask) -> list[OutboxStatus]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_a_queued_email_is_delivered_by_the_worker_once_it_is_committed(
    app, demo, smtp_server, queue, jobs_url
) -> None:
    with running_worker(app):
        queue(to="aisyah@example.com", subject="Your invoice")  # the commit wakes the delivery step
        wait_for(lambda: len(smtp_server.delivered) == 1)

    [delivered] = smtp_server.delivered
    assert (delivered.rcpt_tos, delivered.message["Subject"]) == (["aisyah@example.com"], "Your invoice")
    assert statuses(app) == [OutboxStatus.SENT]


def test_an_email_whose_wake_up_was_lost_is_delivered_by_the_periodic_sweep(
    app, demo, smtp_server, queue, jobs_url
) -> None:
    queue(to="lost@example.com")
    huey = jobs_of(app).huey
    assert huey.pending_count() == 1
    huey.flush()  # the wake-up is lost between the commit and the queue

    with running_worker(app) as sweep:
        time.sleep(0.5)
        assert smtp_server.delivered == []  # nothing woke the worker
        sweep(A_MINUTE_PAST)
        wait_for(lambda: len(smtp_server.delivered) == 1)

    assert smtp_server.delivered[0].rcpt_tos == ["lost@example.com"]
    assert statuses(app) == [OutboxStatus.SENT]


def test_two_workers_with_their_own_schedulers_never_deliver_one_email_twice(
    app, demo, smtp_server, queue, jobs_url, database_url, tmp_path
) -> None:
    other = create_app(_test_config(database_url, tmp_path / "other-machine"))
    other.config.update(
        JOBS_URL=f"sqlite:///{tmp_path / 'other-jobs.db'}",
        MAIL_SMTP_HOST="127.0.0.1",
        MAIL_SMTP_PORT=smtp_server.port,
        MAIL_SMTP_TIMEOUT=5,
    )
    ids = [queue(to=f"customer{n}@example.com") for n in range(30)]
    jobs_of(app).huey.flush()  # only the sweeps run: every worker looks at every email

    try:
        with running_worker(app, threads=2) as sweep_here, running_worker(other, threads=2) as sweep_there:
            for _ in range(2):
                sweep_here(A_MINUTE_PAST)
                sweep_there(A_MINUTE_PAST)
            wait_for(lambda: len(smtp_server.delivered) >= len(ids))
            time.sleep(0.5)  # any second copy would arrive now
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()

    recipients = Counter(rcpt for delivered in smtp_server.delivered for rcpt in delivered.rcpt_tos)
    assert recipients == Counter(f"customer{n}@example.com" for n in range(30))
    assert statuses(app) == [OutboxStatus.SENT] * len(ids)


def test_a_commit_succeeds_when_the_queue_cannot_be_reached(app, demo, queue) -> None:
    closed = _free_port()
    app.config["JOBS_URL"] = f"redis://127.0.0.1:{closed}/0"

    message_id = queue(to="still@example.com")

    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        assert (row.status, row.to_address) == (OutboxStatus.QUEUED, "still@example.com")


def test_sqlite_runs_in_wal_mode_and_waits_for_another_writer(tmp_path) -> None:
    """On a SQLite database of its own, whichever database the suite runs on."""
    path = tmp_path / "shared.db"
    app = create_app(_test_config(f"sqlite:///{path}", tmp_path))
    with app.app_context():  # the web server opened it first
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.commit()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    release = threading.Timer(1.0, holder.execute, args=("COMMIT",))
    release.start()
    try:
        with app.app_context():
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
            db.session.execute(text("CREATE TABLE waited (id INTEGER)"))
            db.session.commit()  # waits for the other writer instead of "database is locked"
            db.engine.dispose()
    finally:
        release.join()
        holder.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_storefront_worker_delivers_and_stops_cleanly(
    app, demo, smtp_server, queue, database_url, tmp_path, stop_signal
) -> None:
    queue(to="waiting@example.com")  # queued before any worker ran: its first sweep sends it
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STOREFRONT_MODE": "testing",
        "STOREFRONT_SECRET_KEY": "test-secret",
        "STOREFRONT_JOBS_URL": f"sqlite:///{tmp_path / 'worker-jobs.db'}",
        "STOREFRONT_MAIL_SMTP_HOST": "127.0.0.1",
        "STOREFRONT_MAIL_SMTP_PORT": str(smtp_server.port),
    }
    worker = subprocess.Popen(
        [str(STOREFRONT), "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: len(smtp_server.delivered) == 1, seconds=30)
        worker.send_signal(stop_signal)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == 0, output
    assert "Worker running billing_run, deliver_mail, purge_retention, remind_tickets" in output
    assert output.rstrip().endswith("Worker stopped."), output
    assert smtp_server.delivered[0].rcpt_tos == ["waiting@example.com"]


def test_the_mail_catcher_keeps_what_the_outbox_sends_and_lists_it(app, demo, queue, tmp_path) -> None:
    folder = tmp_path / "caught"
    port = _free_port()
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port, MAIL_CATCHER_FOLDER=str(folder))
    catcher = catcher_controller(folder, "127.0.0.1", port)
    catcher.start()
    try:
        queue(to="Aisyah <aisyah@example.com>", subject="Welcome to Acme", text="Your shop is ready.")
        jobs_of(app).run("deliver_mail")  # the step the worker runs, as `mail send` does
    finally:
        catcher.stop()
    runner = app.test_cli_runner()

    listing = runner.invoke(args=["mail", "caught"])
    shown = runner.invoke(args=["mail", "caught", "1"])
    missing = runner.invoke(args=["mail", "caught", "2"])

    assert listing.exit_code == 0, listing.output
    [line] = listing.output.splitlines()
    assert line.lstrip().startswith("1 ") and "aisyah@example.com" in line and "Welcome to Acme" in line
    assert shown.exit_code == 0, shown.output
    assert "Subject: Welcome to Acme" in shown.output and "Your shop is ready." in shown.output
    assert missing.exit_code == 2 and "only 1 email(s) caught" in missing.output


def test_no_email_caught_says_so(app, tmp_path) -> None:
    app.config["MAIL_CATCHER_FOLDER"] = str(tmp_path / "empty")

    result = app.test_cli_runner().invoke(args=["mail", "caught"])

    assert (result.exit_code, result.output.strip()) == (0, "No email caught yet.")


def test_a_postgresql_job_url_is_refused_with_what_to_set(database_url, tmp_path) -> None:
    config = {**_test_config(database_url, tmp_path), "JOBS_URL": "postgresql://127.0.0.1/jobs"}

    with pytest.raises(Exception, match="set JOBS_URL to redis://"):
        create_app(config)
