#!/usr/bin/env bash
# Pin an exhunt build in the artifact: writes the SHA-256 of the given binary into
# Custom.Exchange.Exhunt.yaml (the exhunt tool's expected_hash) and its version (version);
# with --sigma-pack, the SHA-256 of a Sigma rule pack into the exhunt_sigma tool instead.
# usage: contrib/velociraptor/pin.sh path/to/exhunt.exe [version]
#        contrib/velociraptor/pin.sh --sigma-pack path/to/sigma.exhpack
set -euo pipefail
usage="usage: pin.sh path/to/exhunt.exe [version] | pin.sh --sigma-pack path/to/sigma.exhpack"
tool=exhunt
if [ "${1:-}" = "--sigma-pack" ]; then
    tool=exhunt_sigma
    shift
fi
file="${1:?$usage}"
version="${2:-}"
[ -f "$file" ] || { echo "pin.sh: $file is not a file" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
artifact="$here/Custom.Exchange.Exhunt.yaml"
hash="$(sha256sum "$file" | cut -d' ' -f1)"
# Only the lines of the named tool's entry (from its `- name:` to the next entry).
tmp="$(mktemp)"
awk -v tool="$tool" -v hash="$hash" -v version="$version" '
    /^  - name: / { current = $3 }
    /^[a-z_]+:/ { current = "" }
    current == tool && /^    expected_hash: "[0-9a-f]+"$/ { sub(/"[0-9a-f]+"/, "\"" hash "\"") }
    current == tool && version != "" && /^    version: "[^"]*"$/ { sub(/"[^"]*"/, "\"" version "\"") }
    { print }
' "$artifact" > "$tmp"
grep -q "$hash" "$tmp" || { rm -f "$tmp"; echo "pin.sh: no $tool tool entry in $artifact" >&2; exit 2; }
cat "$tmp" > "$artifact"
rm -f "$tmp"
echo "pinned $file ($hash) as the $tool tool in $artifact"
