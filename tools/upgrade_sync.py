#!/usr/bin/env python3
"""tools/upgrade_sync.py — bring the update script's function definitions in line
with the fresh install.

When two changes of one release both redefine a function, the update script
holds both CREATE OR REPLACE statements and the later one wins, although the
fresh install (assembled from sql/areas/) has the two changes merged.
test/scripts/upgrade.sh reports such functions.  Given their definitions as
pg_get_functiondef() prints them from a fresh install (one file, statements
separated by a line '-- next'), this removes every earlier CREATE OR REPLACE of
those functions from the update script (when the name has no overloads) and
appends the fresh definitions in one block at the end.

  python3 tools/upgrade_sync.py sql/ledger--1.0--1.1.sql DEFS.sql
"""
import re
import sys


def statements(text):
    """Split SQL into (start, end) spans of statements, respecting quotes,
    dollar quotes and comments."""
    spans, i, start, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('--', i):
            j = text.find('\n', i)
            i = n if j < 0 else j + 1
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            i = n if j < 0 else j + 2
        elif c == "'":
            i += 1
            while i < n:
                if text[i] == "'" and text.startswith("''", i):
                    i += 2
                elif text[i] == "'":
                    i += 1
                    break
                else:
                    i += 1
        elif c == '$':
            m = re.match(r'\$[A-Za-z_]*\$', text[i:])
            if m:
                tag = m.group(0)
                j = text.find(tag, i + len(tag))
                i = n if j < 0 else j + len(tag)
            else:
                i += 1
        elif c == ';':
            spans.append((start, i + 1))
            i += 1
            start = i
        else:
            i += 1
    return spans


HEADER = '-- ---- final definitions of functions that more than one step of this update changed ----'
FOOTER = '-- ---- end of the final definitions ----'


def name_of(defn):
    m = re.match(r'\s*CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (ledger\.\w+)\(', defn)
    return m.group(1) if m else None


def main(script, defs_file):
    text = open(script).read()
    defs = [d.strip() for d in open(defs_file).read().split('\n-- next\n') if d.strip()]
    names = [name_of(d) for d in defs]
    # an earlier run's block (between HEADER and FOOTER): its definitions not
    # renewed now are kept; what later steps appended after it stays in place
    if HEADER in text:
        head, rest = text.split(HEADER, 1)
        block, after = rest.split(FOOTER, 1) if FOOTER in rest else (rest, '')
        for s, e in statements(block):
            old = block[s:e].strip()
            old = re.sub(r'^(\s*--[^\n]*\n)*', '', old).strip()
            if old and name_of(old) and name_of(old) not in names:
                defs.append(old)
                names.append(name_of(old))
        text = head.rstrip('\n') + '\n' + after
    all_names = re.findall(r'CREATE (?:OR REPLACE )?(?:FUNCTION|PROCEDURE) (ledger\.\w+)\(', text)
    out, last = [], 0
    for s, e in statements(text):
        stmt = text[s:e]
        body = re.sub(r'^(\s*--[^\n]*\n)*', '', stmt.lstrip('\n'))
        m = re.match(r'\s*CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (ledger\.\w+)\(', body)
        if m and m.group(1) in names and defs_count(defs, m.group(1)) == 1:
            # keep leading comments of the statement, drop the statement itself
            lead = stmt[:len(stmt) - len(stmt.lstrip('\n'))] + stmt.lstrip('\n')[:len(stmt.lstrip('\n')) - len(body)]
            out.append(text[last:s] + lead)
            last = e
    out.append(text[last:])
    text = ''.join(out).rstrip('\n') + '\n'
    text += '\n' + HEADER + '\n-- (the fresh install\'s definitions, written by tools/upgrade_sync.py)\n\n'
    for d in defs:
        text += d.rstrip().rstrip(';') + ';\n\n'
    text += FOOTER + '\n'
    open(script, 'w').write(re.sub(r'\n{3,}', '\n\n', text))


def defs_count(defs, name):
    return sum(1 for d in defs if name_of(d) == name)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
