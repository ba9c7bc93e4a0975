"""Credential files: an operator's id, the database's identity and their Ed25519 private key.

The file is JSON::

    {"shouhu_credential": 1, "operator": "01J…", "name": "李警官", "database": "<hash>",
     "key": "-----BEGIN PRIVATE KEY-----…"}

``key`` is PKCS#8 PEM, encrypted (``BEGIN ENCRYPTED PRIVATE KEY``) when a passphrase was
given. The file is created readable by its owner only (0600) and never over a file it did not
create without ``force``; one that is group- or world-readable is refused, as ssh refuses such
a key. The passphrase is asked for on a terminal, or read from ``SHOUHU_PASSPHRASE``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from shouhu.engine.signing import Credential
from shouhu.errors import InvalidInput, NotAuthenticated
from shouhu.i18n import _

FORMAT = 1


def default_dir() -> Path:
    """Where credentials go by default: ``$XDG_CONFIG_HOME/shouhu/credentials`` (else
    ``~/.config/shouhu/credentials``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "shouhu" / "credentials"


def default_path(credential: Credential) -> Path:
    return default_dir() / f"{credential.operator_id}.json"


def dumps(credential: Credential, passphrase: str | None = None) -> str:
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    protect = BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()
    pem = credential.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, protect).decode()
    doc = {
        "shouhu_credential": FORMAT,
        "operator": credential.operator_id,
        "name": credential.name,
        "database": credential.database,
        "key": pem,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def save(
    credential: Credential,
    path: str | Path | None = None,
    *,
    passphrase: str | None = None,
    force: bool = False,
) -> Path:
    """Write ``credential`` to ``path`` (default: :func:`default_path`), 0600; an existing
    file is refused unless ``force``. Returns the path written."""
    from shouhu.adapters.files import write_new

    target = Path(path).expanduser() if path is not None else default_path(credential)
    if target.is_dir():
        raise InvalidInput(
            _("--credential-out: {target} is a directory").format(target=target),
            field="credential_out",
        )
    if target.exists() and not force:
        raise InvalidInput(
            _("--credential-out: {target} exists; it is not overwritten without --force").format(
                target=target
            ),
            field="credential_out",
        )
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # 0600, never through a symbolic link, an old file replaced only whole (files.write_new)
    write_new(target, dumps(credential, passphrase), force=force, private=True,
              what="--credential-out")  # fmt: skip
    return target


def load(path: str | Path, passphrase: str | None = None) -> Credential:
    """The credential in ``path``. Refused (``NotAuthenticated``, nothing read further) when
    the file is missing, group- or world-readable, not a credential, or its key does not open
    (a passphrase-protected key needs ``passphrase`` or ``SHOUHU_PASSPHRASE``)."""
    p = Path(path).expanduser()
    try:
        mode = p.stat().st_mode
    except OSError:
        raise NotAuthenticated(_("credential {p}: no such file").format(p=p)) from None
    if not stat.S_ISREG(mode):
        raise NotAuthenticated(_("credential {p}: not a file").format(p=p))
    if mode & 0o077:
        raise NotAuthenticated(
            _(
                "credential {p} is readable by others (mode {mode:o}): chmod 600 {p}, or it is "
                "refused, as ssh refuses such a key"
            ).format(p=p, mode=stat.S_IMODE(mode))
        )
    try:
        doc: Any = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise NotAuthenticated(
            _("credential {p}: not a shouhu credential file").format(p=p)
        ) from None
    if not isinstance(doc, dict) or doc.get("shouhu_credential") != FORMAT:
        raise NotAuthenticated(_("credential {p}: not a shouhu credential file").format(p=p))
    fields = {k: doc.get(k) for k in ("operator", "database", "key")}
    if not all(isinstance(v, str) and v for v in fields.values()):
        raise NotAuthenticated(_("credential {p}: not a shouhu credential file").format(p=p))
    return Credential(
        fields["operator"],  # type: ignore[arg-type]
        fields["database"],  # type: ignore[arg-type]
        _key(p, str(fields["key"]), passphrase),
        str(doc.get("name") or ""),
    )


def _key(p: Path, pem: str, passphrase: str | None) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    secret = passphrase if passphrase is not None else os.environ.get("SHOUHU_PASSPHRASE")
    try:
        key = load_pem_private_key(pem.encode(), password=secret.encode() if secret else None)
    except TypeError:  # encrypted, and no passphrase given (or given for a plain key)
        if secret:
            key = load_pem_private_key(pem.encode(), password=None)
        else:
            raise NotAuthenticated(
                _("credential {p} is protected by a passphrase: set SHOUHU_PASSPHRASE").format(p=p)
            ) from None
    except ValueError:
        raise NotAuthenticated(
            _("credential {p}: the key does not open (wrong passphrase, or damaged)").format(p=p)
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise NotAuthenticated(_("credential {p}: not an Ed25519 key").format(p=p))
    return key


#: The public names (``from shouhu import load_credential, save_credential``).
load_credential = load
save_credential = save
