"""Policy packs shipped with shouhu (package data): ``default.toml``, the national defaults."""
