"""The web desk's pages (see :mod:`shouhu.service.web`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
