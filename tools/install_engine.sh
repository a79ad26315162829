#!/usr/bin/env bash
# Installs GoogleSQL's reference implementation, the engine shredmit checks and runs SQL with:
# Google's ZetaSQL local service (analyzer and reference evaluator, Apache-2.0), as the prebuilt
# server of the npm package @fivetrandevelopers/zetasql (MIT wrapper). The version is pinned and
# the archive's integrity checked against the registry's sha512 before anything is unpacked.
#
# Usage: tools/install_engine.sh [DIR]
#   DIR defaults to $SHREDMIT_ENGINE_HOME, else ${XDG_CACHE_HOME:-$HOME/.cache}/shredmit.
# Installs DIR/zetasql-1.13.0/{remote_server, protos/, NOTICE} and prints that folder. Nothing
# goes into the repository: the server is 87 MB. A second run with the folder in place only
# prints it.
set -euo pipefail

version=1.13.0
integrity="sha512-yX9Apa968np2Tc+Hrf4Bf6Gz77kQVLIDLaNwovM91VBwyDTDF1C6oglUqmlU6Fe5/TVCExsnIueWiPahrYEITQ=="
home="${1:-${SHREDMIT_ENGINE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/shredmit}}"
target="$home/zetasql-$version"

if [ -x "$target/remote_server" ] && [ -f "$target/protos/local_service.proto" ]; then
  echo "$target"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) server=remote_server.so ;;
  Linux-aarch64 | Linux-arm64) server=remote_server_arm.so ;;
  Darwin-x86_64) server=remote_server ;;
  Darwin-arm64) server=remote_server_arm ;;
  *)
    echo "shredmit: no GoogleSQL engine build for $(uname -s) $(uname -m); the package ships" \
      "Linux and macOS servers for x86-64 and arm64" >&2
    exit 1
    ;;
esac

if ! command -v npm >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "shredmit: installing npm (to download the GoogleSQL engine)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >&2
fi

mkdir -p "$home"
work=$(mktemp -d "$home/.download.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "shredmit: downloading @fivetrandevelopers/zetasql@$version (112 MB)" >&2
(cd "$work" && npm pack --silent "@fivetrandevelopers/zetasql@$version" >/dev/null)
archive="$work/fivetrandevelopers-zetasql-$version.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$archive" | openssl base64 -A)"
if [ "$actual" != "$integrity" ]; then
  echo "shredmit: the downloaded archive's integrity is $actual, expected $integrity;" \
    "refusing to install it" >&2
  exit 1
fi
tar -xzf "$archive" -C "$work" "package/lib/zetasql/$server" package/lib/zetasql/protos \
  package/package.json
staged="$work/zetasql-$version"
mkdir -p "$staged"
mv "$work/package/lib/zetasql/$server" "$staged/remote_server"
mv "$work/package/lib/zetasql/protos" "$staged/protos"
cat >"$staged/NOTICE" <<EOF
GoogleSQL (ZetaSQL) local service, the analyzer and reference evaluator of GoogleSQL.
Copyright Google LLC. Licensed under the Apache License, Version 2.0:
https://www.apache.org/licenses/LICENSE-2.0 (source: https://github.com/google/zetasql).
Prebuilt by Fivetran in the npm package @fivetrandevelopers/zetasql $version (MIT license),
file lib/zetasql/$server, archive integrity $integrity.
EOF
chmod 755 "$staged/remote_server"
rm -rf "$target"
mv "$staged" "$target"
echo "$target"
