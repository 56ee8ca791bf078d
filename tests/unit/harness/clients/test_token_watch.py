"""The drivers' token watch (R11, in-process): a log record that carries the client's token is
counted wherever the client logs it, and nothing else is."""

from __future__ import annotations

import logging
import threading
from collections import abc

import pytest

from harness.clients.adapters import token_log_watch
from harness.run.history import RunHistory

TOKEN = "eyJhbGciOiJIUzI1NiJ9.payload-of-the-token.signature"


@pytest.fixture
def watch() -> abc.Iterator[object]:
    history = RunHistory()
    watch = token_log_watch(lambda: (TOKEN,), history)
    watch.install()
    try:
        yield watch
    finally:
        watch.uninstall()


def test_a_token_in_a_message_an_argument_or_a_traceback_is_counted(watch: object) -> None:
    log = logging.getLogger("faultline.test.client")
    log.warning("negotiate failed: http://host/hubs/user?access_token=%s", TOKEN)
    log.error("clean message, nothing to see")
    try:
        raise ConnectionError(f"Max retries exceeded with url: /negotiate?access_token={TOKEN}")
    except ConnectionError:
        log.exception("start connection failed")
    assert watch.count == 2  # type: ignore[attr-defined]


@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning"
)  # the thread dies on purpose
def test_loggers_that_do_not_propagate_and_dying_threads_are_watched_too(watch: object) -> None:
    private = logging.getLogger("faultline.test.sdk")
    private.propagate = False  # as project-x-py 3.3.0's own loggers: the root never sees them
    private.setLevel(logging.INFO)
    watch.rescan()  # type: ignore[attr-defined]
    private.info("connecting to ws://host/hubs/market?access_token=%s", TOKEN)

    def dies() -> None:
        raise RuntimeError(f"reconnect to /hubs/market?access_token={TOKEN} failed")

    thread = threading.Thread(target=dies)
    thread.start()
    thread.join()
    assert watch.count == 2  # type: ignore[attr-defined]
