"""Fills empty English msgstr entries from a JSON file of {spanish: english} (a translator's aid)."""

import json
import sys

from babel.messages.pofile import read_po, write_po

po_path, json_path = sys.argv[1], sys.argv[2]
with open(po_path, "rb") as f:
    catalog = read_po(f, locale="en")
translations = json.load(open(json_path, encoding="utf-8"))
missing = []
for message in catalog:
    if not message.id:
        continue
    key = message.id if isinstance(message.id, str) else message.id[0]
    if key in translations:
        value = translations[key]
        message.string = tuple(value) if isinstance(message.id, tuple) else value
    elif not (message.string if isinstance(message.string, str) else all(message.string)):
        missing.append(key)
with open(po_path, "wb") as f:
    write_po(f, catalog, width=100, omit_header=False, sort_output=True)
print(f"untranslated: {len(missing)}")
for key in missing:
    print("  ", key)
