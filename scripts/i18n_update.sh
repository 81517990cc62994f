#!/usr/bin/env bash
# Re-extracts the Spanish source strings and merges them into the English catalog.
# Spanish is the source language (msgids); English is the translation. Run after changing texts,
# then translate the new empty msgstr entries in app/translations/en/LC_MESSAGES/messages.po.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
  --project Vitrina -o /tmp/vitrina-messages.pot .
.venv/bin/pybabel update -i /tmp/vitrina-messages.pot -d app/translations -l en --no-fuzzy-matching
