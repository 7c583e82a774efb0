#!/bin/sh
# Wrap model files (src/models/<layer>/<name>.sql) into SQL that registers
# them as the extension's built-in models; the files stay plain SQL.
# References are checked once all are registered.
set -e
for f in "$@"; do
  name=$(basename "$f" .sql)
  layer=$(basename "$(dirname "$f")")
  printf "SELECT gtfs_fdw.create_model('%s', \$gtfs_model\$\n" "$name"
  cat "$f"
  printf "\$gtfs_model\$, layer => '%s', builtin => true, validate => false);\n\n" "$layer"
done
echo "SELECT gtfs_fdw.validate_models();"
