#!/usr/bin/env bash
# System packages the project needs: gettext and the certificates' font (fonts-dejavu-core: every
# Vietnamese glyph) always; Debian's chromium and poppler-utils (pdftoppm, certificate tests) for
# the browser/test group.
set -euo pipefail
pkgs=()
command -v msgfmt >/dev/null || pkgs+=(gettext)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || pkgs+=(fonts-dejavu-core)
if [ "${1:-}" = "browser" ] && [ ! -x /usr/bin/chromium ]; then pkgs+=(chromium); fi
if [ "${1:-}" = "browser" ] && ! command -v pdftoppm >/dev/null; then pkgs+=(poppler-utils); fi
# nginx: the cluster the bench smoke tests start (make run-cluster's front).
if [ "${1:-}" = "browser" ] && [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null; then pkgs+=(nginx); fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "Installing system packages: ${pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
