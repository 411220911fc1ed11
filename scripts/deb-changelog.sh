#!/bin/sh
# Writes the package's changelog.gz (gzip -9n: the same commit, the
# same bytes) for `make deb`: one entry for the version being built, dated
# at the commit, naming the commit. changelog.gz, not changelog.Debian.gz:
# the version has no Debian revision (scripts/deb-version.sh), so the
# package is native, and lintian wants that name for a native package.
#   scripts/deb-changelog.sh OUT.gz   (make passes DEB_VERSION, DEB_MAINTAINER,
#                                      SOURCE_DATE_EPOCH and COMMIT)
set -eu
out=${1:?usage: scripts/deb-changelog.sh OUT.gz}
: "${DEB_VERSION:?}" "${DEB_MAINTAINER:?}" "${SOURCE_DATE_EPOCH:?}" "${COMMIT:?}"
date=$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")
mkdir -p "$(dirname "$out")"
{
	echo "thermogate ($DEB_VERSION) stable; urgency=medium"
	echo
	echo "  * Built from commit $COMMIT; its history is the project's git log."
	echo
	echo " -- $DEB_MAINTAINER  $date"
} | gzip -9n >"$out"
