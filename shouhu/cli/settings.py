"""The global options of a run (``--db``, ``--as``, ``--zone`` …), as the root group read them."""


class _Settings:
    db: str | None = None
    zone: str | None = None
    policy: str | None = None
    credential: str | None = None  # --as / SHOUHU_CREDENTIAL: the file of who acts
    created: str | None = None  # a database file this command created (said once, at the end)
    json_logs: bool = False
    no_pager: bool = False  # --no-pager: long output is never paged


SETTINGS = _Settings()
