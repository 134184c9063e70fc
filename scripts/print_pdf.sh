#!/usr/bin/env bash
# Regenerates docs/print/: report.html of the bundled defective 永靖县 package printed to PDF by
# headless Chromium (A4, the page's own print style and page numbers), and five of its pages as
# 70 dpi PNG: the first (verdict, grade and score), the second (element and rule tables), the
# first page of findings, the map's page and the sign-off page. Run it after changing the page's
# layout or print style, look at the pictures, and commit them.
# Needs chromium, pdftoppm/pdfinfo/pdftotext (poppler-utils) and a Chinese font
# (fonts-wqy-microhei); installs whichever is missing with apt-get, as scripts/test does.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
# Without a CJK font Chromium prints every Chinese character as a box.
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/print_pdf.sh: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The same timestamp as reports/examples; exit 1 means the package fails, which it does.
SOURCE_DATE_EPOCH=1764288000 cargo run --quiet -- check fixtures/622923_永靖县_defective \
  --format html --out "$tmp/report" --quiet || [ $? -eq 1 ]
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --user-data-dir="$tmp/profile" --print-to-pdf="$tmp/report.pdf" \
  "file://$tmp/report/report.html" 2>/dev/null
pdfinfo "$tmp/report.pdf" | grep -E '^(Pages|Page size):'
pages=$(pdfinfo "$tmp/report.pdf" | awk '/^Pages:/ { print $2 }')
findings=
for ((n = 1; n <= pages; n++)); do
  if pdftotext -f "$n" -l "$n" "$tmp/report.pdf" - | grep -q '^问题与地图$'; then
    findings=$n
    break
  fi
done
rm -rf docs/print
mkdir -p docs/print
# Named by what they show, not by page number, which moves whenever the report grows.
shots=("1 verdict" "2 rules" "${findings:-3} findings" "$((pages - 1)) map" "$pages signoff")
for shot in "${shots[@]}"; do
  read -r n name <<< "$shot"
  pdftoppm -r 70 -png -f "$n" -l "$n" -singlefile "$tmp/report.pdf" "docs/print/$name"
done
ls -l docs/print
