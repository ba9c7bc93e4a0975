"""Policy packs shipped with shouhu (package data).

``national-2026.2.toml`` holds the national defaults an engine uses unless told otherwise;
``default.toml`` their first version (2026.1), under which earlier cases were recorded.
"""
