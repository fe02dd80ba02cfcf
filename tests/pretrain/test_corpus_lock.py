"""Two stage processes of one run start together: the second waits for the first's feature check
instead of failing with "project is busy"."""

from __future__ import annotations

import threading
import time

import pytest

from gpt_sovits.data.project import Project, Workspace
from gpt_sovits.errors import ProjectError
from gpt_sovits.pretrain.driver import corpus_lock
from gpt_sovits.train.events import InfoEvent


def _holder(project_root, held: threading.Event, release: threading.Event) -> threading.Thread:
    def hold() -> None:
        with Project(project_root).lock("pretraining"):  # another open file: another process's lock
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    return thread


def test_the_second_process_waits_for_the_feature_check_then_proceeds(tmp_path) -> None:
    root = Workspace(tmp_path / "ws").create_project("corpus", languages=["en"]).root
    held, release, events = threading.Event(), threading.Event(), []
    thread = _holder(root, held, release)
    threading.Timer(0.6, release.set).start()
    started = time.monotonic()
    with corpus_lock(Project(root), events.append, threading.Event(), poll_seconds=0.05):
        waited = time.monotonic() - started
    thread.join()
    assert waited >= 0.5
    told = [e.message for e in events if isinstance(e, InfoEvent)]
    assert len(told) == 1 and "busy" in told[0] and "waiting" in told[0]  # said once, not every poll


def test_a_stop_while_waiting_gives_the_busy_error(tmp_path) -> None:
    root = Workspace(tmp_path / "ws").create_project("corpus", languages=["en"]).root
    held, release = threading.Event(), threading.Event()
    thread = _holder(root, held, release)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    try:
        with pytest.raises(ProjectError, match="busy"):
            with corpus_lock(Project(root), lambda e: None, stop, poll_seconds=0.05):
                pass
    finally:
        release.set()
        thread.join()


def test_errors_inside_the_locked_work_are_not_mistaken_for_a_busy_corpus(tmp_path) -> None:
    root = Workspace(tmp_path / "ws").create_project("corpus", languages=["en"]).root
    with pytest.raises(ProjectError, match="too few"):
        with corpus_lock(Project(root), lambda e: None, threading.Event(), poll_seconds=0.05):
            raise ProjectError("too few utterances")
    with corpus_lock(Project(root), lambda e: None, threading.Event()):  # and the lock was released
        pass
