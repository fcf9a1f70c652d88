#!/usr/bin/env bash
# System packages the project needs: gettext always, Debian's chromium for browser tests.
set -euo pipefail
pkgs=()
command -v msgfmt >/dev/null || pkgs+=(gettext)
if [ "${1:-}" = "browser" ] && [ ! -x /usr/bin/chromium ]; then pkgs+=(chromium); fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "Installing system packages: ${pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
