#!/bin/sh
# Prints the Debian package version of this checkout. Debian versions start
# with a digit and sort newer-is-greater, so:
#   tag v1.2.0                    -> 1.2.0
#   3 commits after it, changed   -> 1.2.0+3.gabc1234.dirty
#   no v* tag yet                 -> 0.0.0+git20261124054900.abc1234 (the commit's UTC time)
set -eu
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "deb-version: not a git checkout: set DEB_VERSION, e.g. make deb DEB_VERSION=1.0.0" >&2
	exit 1
fi
if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
	echo "${v#v}" | sed 's/-/+/; s/-/./g'
	exit 0
fi
when=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S)
commit=$(git rev-parse --short HEAD)
dirty=""
git diff-index --quiet HEAD -- 2>/dev/null || dirty=.dirty
echo "0.0.0+git$when.$commit$dirty"
