"""The web desk's pages (see :mod:`shouhu.service.web`), by topic: the worklist and the case
list (:mod:`~shouhu.service.pages_work`), the case page (:mod:`~shouhu.service.pages_case`),
filing a report (:mod:`~shouhu.service.pages_report`), audit
(:mod:`~shouhu.service.pages_audit`) and the operators (:mod:`~shouhu.service.pages_admin`).
"""

from __future__ import annotations

from fastapi import APIRouter

from shouhu.service import pages_admin, pages_audit, pages_case, pages_report, pages_work

router = APIRouter(include_in_schema=False)
for _module in (pages_work, pages_case, pages_report, pages_audit, pages_admin):
    router.include_router(_module.router)
