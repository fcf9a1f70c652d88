#!/usr/bin/env bash
# Refresh every message catalogue: one per app (<app>/locale), core's and config's in ./locale.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"; MANAGE="$PWD/manage.py"
export CQ_PER_APP_MESSAGES=1
for app in quizzes contest realtime frontend frontend/bank frontend/live frontend/contests; do
  ignores=(--ignore 'node_modules/*')
  [ "$app" = frontend ] && ignores+=(--ignore 'bank/*' --ignore 'live/*' --ignore 'contests/*')
  (cd "$app" && "$PY" "$MANAGE" makemessages -l vi -l en --no-obsolete -v 0 "${ignores[@]}" \
     && "$PY" "$MANAGE" makemessages -d djangojs -l vi -l en --no-obsolete -v 0 "${ignores[@]}")
done
unset CQ_PER_APP_MESSAGES
"$PY" "$MANAGE" makemessages -l vi -l en --no-obsolete -v 0 --ignore 'quizzes/*' --ignore 'contest/*' \
  --ignore 'realtime/*' --ignore 'frontend/*' --ignore '.venv/*' --ignore 'bench/*' --ignore 'tests/*' \
  --ignore 'node_modules/*'
# djangojs catalogues with no entries are not worth keeping.
find . -path ./.venv -prune -o -name djangojs.po -print | while read -r f; do
  grep -q '^msgid "[^"]' "$f" || rm -f "$f"
done
