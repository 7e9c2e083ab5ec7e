#!/usr/bin/env bash
# The plugin's TypeScript front end (plugin/src): install its npm packages, build it into
# plugin/dist, test, typecheck and lint it. Works from any directory.
#
# The npm cache lives in ${FT_DATA_DIR:-<repo>/.data}/npm (ignored by git), node_modules in
# plugin/node_modules. Every command but `install` installs first when node_modules is missing
# or older than package-lock.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin=$(cd "$here/.." && pwd)
repo=$(cd "$plugin/.." && pwd)
DATA=${FT_DATA_DIR:-$repo/.data}

export npm_config_cache=$DATA/npm
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false

usage() {
	cat <<USAGE
usage: plugin/scripts/frontend.sh <command> [args...]

commands:
  install     npm ci (clean install from package-lock.json)
  build       production build into plugin/dist (module.js, plugin.json, img/, README.md,
              CHANGELOG.md); keeps the Go binaries gpx_* already there
  test        Jest once, CI mode (extra args go to jest, e.g. a test file)
  typecheck   tsc --noEmit
  lint        ESLint
USAGE
}

install() {
	mkdir -p "$npm_config_cache"
	npm ci --prefer-offline
}

# ensure_installed runs install when node_modules is missing or older than the lock file.
# npm writes node_modules/.package-lock.json on every install.
ensure_installed() {
	local stamp=$plugin/node_modules/.package-lock.json
	if [[ ! -f $stamp || $plugin/package-lock.json -nt $stamp ]]; then
		install
	fi
}

cd "$plugin"
cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
install) install ;;
build) ensure_installed && npm run build ;;
test) ensure_installed && CI=true npm run test:ci -- "$@" ;;
typecheck) ensure_installed && npm run typecheck ;;
lint) ensure_installed && npm run lint ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
