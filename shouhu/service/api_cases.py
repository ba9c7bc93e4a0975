"""API routes (see :mod:`shouhu.service.api`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
