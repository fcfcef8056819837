"""Background jobs: the Huey instance built from ``JOBS_URL``, its steps run inside an app context,
and wake-ups sent after a commit.

Database rows are the truth; the queue only wakes work up. A step finds what is due in the database
and claims it, so a wake-up lost between a commit and its enqueue costs a minute (the periodic
sweep runs the same step), never the work itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.orm import Session

from .configuration import ConfigurationError

log = logging.getLogger(__name__)

HUEY_NAME = "storefront"
_WAKE = "storefront.jobs.wake"


class JobsConfigError(ConfigurationError):
    """``JOBS_URL`` names a storage the worker cannot use; the message says what to set."""


@dataclass(frozen=True)
class Step:
    """One background step: its name, what it runs, and when the periodic sweep runs it (or never)."""

    name: str
    run: Callable[[], object]
    schedule: Callable | None = None


def huey_from_url(url: str) -> Huey:
    """Return a Huey instance whose storage is ``url``: sqlite:///FILE, redis://…, or memory://."""
    check_jobs_url(url)
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(HUEY_NAME, filename=filename, results=False, journal_mode="wal", timeout=15)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(HUEY_NAME, url=url, results=False)
    return MemoryHuey(HUEY_NAME, results=False)


def check_jobs_url(url: str) -> None:
    """Raise JobsConfigError unless ``url`` names a storage ``huey_from_url`` builds."""
    if url.startswith("postgresql"):
        raise JobsConfigError(
            "JOBS_URL: Huey's PostgreSQL storage needs the peewee ORM, which Storefront does not use; "
            "set JOBS_URL to redis://… (production) or sqlite:///… (one machine)"
        )
    if not url.startswith(("sqlite:///", "redis://", "rediss://", "unix://")) and url != "memory://":
        raise JobsConfigError(f"JOBS_URL must start with sqlite:///, redis:// or memory://, not {url!r}")


class Jobs:
    """The app's steps and, built on first use, the Huey instance that runs them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.steps: dict[str, Step] = {}
        self._huey: Huey | None = None
        self._tasks: dict[str, Callable] = {}
        self._lock = threading.Lock()

    def add(self, step: Step) -> None:
        """Register ``step``; steps are added while the app is built, before any job runs."""
        if self._huey is not None:
            raise RuntimeError("add steps before the job queue is first used")
        self.steps[step.name] = step

    @property
    def huey(self) -> Huey:
        """The Huey instance, built from ``JOBS_URL`` with one task per step."""
        with self._lock:
            if self._huey is None:
                huey = huey_from_url(self.app.config["JOBS_URL"])
                self._tasks = {name: self._task(huey, step) for name, step in self.steps.items()}
                self._huey = huey
        return self._huey

    def _task(self, huey: Huey, step: Step) -> Callable:
        """Return the Huey task that runs ``step`` inside an app context."""
        app = self.app

        def execute() -> None:
            with app.app_context():
                step.run()

        execute.__name__ = execute.__qualname__ = step.name
        execute.__doc__ = step.run.__doc__
        if step.schedule is None:
            return huey.task(name=step.name)(execute)
        return huey.periodic_task(step.schedule, name=step.name)(execute)

    def wake(self, name: str) -> None:
        """Enqueue one run of the step ``name``."""
        self.huey  # noqa: B018 - builds the tasks
        self._tasks[name]()

    def run(self, name: str) -> None:
        """Run the step ``name`` here and now, in an app context of its own (for the CLI and tests)."""
        with self.app.app_context():
            self.steps[name].run()


def init_app(app: Flask) -> None:
    """Give ``app`` its job queue; the storage defaults to a SQLite file in the instance folder."""
    if not app.config.get("JOBS_URL"):
        app.config["JOBS_URL"] = f"sqlite:///{Path(app.instance_path) / 'jobs.db'}"
    check_jobs_url(app.config["JOBS_URL"])
    app.extensions["jobs"] = Jobs(app)


def jobs_of(app: Flask | None = None) -> Jobs:
    """Return the job queue of ``app`` (the current app when none is given)."""
    return (app or current_app).extensions["jobs"]


def wake_after_commit(session: Session, name: str) -> None:
    """Wake the step ``name`` once ``session`` commits; a rollback forgets it."""
    session.info.setdefault(_WAKE, set()).add(name)


@event.listens_for(Session, "after_commit")
def _wake_committed(session: Session) -> None:
    """Enqueue the wake-ups of a committed transaction; a failure is logged, never raised."""
    names = session.info.pop(_WAKE, None)
    if not names or not has_app_context() or "jobs" not in current_app.extensions:
        return
    queue = jobs_of()
    for name in sorted(names):
        try:
            queue.wake(name)
        except Exception:  # the periodic sweep does the work a minute later
            log.warning("could not wake the %s job; the periodic sweep will", name, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """A rolled-back transaction wakes nothing."""
    session.info.pop(_WAKE, None)
