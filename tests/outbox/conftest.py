"""Outbox fixtures: a real HTTP endpoint on 127.0.0.1, and the outbox logger put back."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from outboxkit import Endpoint, serve

from shouhu.adapters.channels import OUTBOX_LOGGER


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """A real HTTP server on 127.0.0.1 (port 0), answering from a script."""
    ep = Endpoint()
    server, thread = serve(ep)
    try:
        yield ep
    finally:
        ep.release.set()  # wake handlers still sleeping on a slow answer
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def _restore_outbox_logger() -> Iterator[None]:
    """``outbox deliver`` raises the outbox logger to info; put it back after every test."""
    logger = logging.getLogger(OUTBOX_LOGGER)
    level = logger.level
    yield
    logger.setLevel(level)
