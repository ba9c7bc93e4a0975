"""The operator CLI: ``shouhu report``, ``shouhu case …``, ``shouhu workflow …``, ``shouhu info``.

Exit codes: 0 done; 2 bad input; 3 refused by the rules (the message names the rule and its
citation); 4 conflict; 5 the database cannot be used; 6 not authenticated (no credential, or
one the operator registry refuses). Every error is one line on stderr and
writes nothing. Heavy modules (the store, the engine) are imported only by commands using them.

One module per command group (``case``, ``audit``, …); the shared machinery is in
:mod:`shouhu.cli.common`, the root group and the registration order in :mod:`shouhu.cli.root`.
"""

from shouhu.cli.root import app, main

__all__ = ["app", "main"]
