#!/usr/bin/env bash
# The system packages the tests use, installed where this machine allows it (root and
# apt-get); elsewhere one line says what is missing and what then happens. Run by `make test`
# (and so by CI); safe to run again: nothing is done when everything is there.
#
# - chromium (Debian's, /usr/bin/chromium): the web desk's browser tests (tests/browser:
#   Playwright drives it; without it they FAIL, naming `apt-get install chromium`) and the
#   HTML export check (which skips, saying why). Neither needs a Chinese font: the tests read
#   the pages' text, not pixels. Only `make screenshots` needs fonts-noto-cjk.
# - curl and jq: docs/api.md's examples, run by the docs tests.
set -uo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
for tool in curl jq; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: ${missing[*]} missing and not installable here (needs root and apt-get):" \
        "the browser tests and the API page's test fail saying so (apt-get install ${missing[*]})" >&2
    exit 0
fi
log=/tmp/shouhu-system-deps.log
echo "system-deps: installing ${missing[*]} (log: $log)"
install() {
    timeout 900 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" >>"$log" 2>&1
}
if ! install; then
    timeout 300 apt-get update -q >>"$log" 2>&1 || true
    install || echo "system-deps: could not install ${missing[*]} (see $log)" >&2
fi
exit 0
