#!/usr/bin/env bash
# Regenerates reports/examples/: every report format for the bundled defective 永靖县 package.
# tests/formats.rs fails while the committed files differ from what the code produces; run this
# after changing a renderer, the rules or the fixture, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf reports/examples
# The test uses the same timestamp, package path and formats; exit 1 means "package fails",
# which it does.
SOURCE_DATE_EPOCH=1764288000 cargo run --quiet -- check fixtures/622923_永靖县_defective \
  --format json,md,html,junit,layer,xlsx --out reports/examples --quiet || [ $? -eq 1 ]
ls reports/examples
