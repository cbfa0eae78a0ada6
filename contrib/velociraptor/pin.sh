#!/usr/bin/env bash
# Pin an exhunt build in the artifact: writes the SHA-256 of the given binary into
# Custom.Exchange.Exhunt.yaml (expected_hash) and its version (version).
# usage: contrib/velociraptor/pin.sh path/to/exhunt.exe [version]
set -euo pipefail
bin="${1:?usage: pin.sh path/to/exhunt.exe [version]}"
version="${2:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
artifact="$here/Custom.Exchange.Exhunt.yaml"
hash="$(sha256sum "$bin" | cut -d' ' -f1)"
sed -i -E "s/^(    expected_hash: )\"[0-9a-f]{64}\"/\1\"$hash\"/" "$artifact"
if [ -n "$version" ]; then
    sed -i -E "s/^(    version: )\"[^\"]*\"/\1\"$version\"/" "$artifact"
fi
echo "pinned $bin ($hash) in $artifact"
