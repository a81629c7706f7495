#!/usr/bin/env bash
# The module graph of one crate's src directory, and a check that it has no cycle: prints
# "module -> modules it uses" (every `crate::module` path before the file's #[cfg(test)];
# `crate::Item` with a capital is an item of the crate root, "lib", which itself stands above
# every module: a module using it is a cycle) and exits 1 on a cycle.
#
#   bash scripts/check-module-cycles.sh devserver/src
set -euo pipefail
dir="${1:?usage: check-module-cycles.sh SRC_DIR}"
cd "$dir"
edges=""
for f in *.rs; do
  m="${f%.rs}"
  [[ "$m" == main || "$m" == lib ]] && continue
  deps=$(awk '/#\[cfg\(test\)\]/{exit} !/^[[:space:]]*\/\//{print}' "$f" | tr '\n' ' ' \
    | grep -oE 'crate::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)' \
    | sed -E 's/crate:://; s/[{}]//g; s/,/ /g' | tr ' ' '\n' \
    | sed -E 's/^[A-Z].*/lib/' | grep -E '^[a-z_][a-z0-9_]*$' | sort -u | tr '\n' ' ' || true)
  echo "$m -> ${deps:-(nothing)}"
  edges+="lib $m"$'\n'
  for d in $deps; do edges+="$m $d"$'\n'; done
done
if ! err=$(printf '%s' "$edges" | tsort 2>&1 >/dev/null) || [[ -n "$err" ]]; then
  echo "module cycle in $dir:" >&2
  echo "$err" >&2
  exit 1
fi
echo "no cycle among the modules of $dir"
