#!/usr/bin/env python3
"""tools/upgrade_sync.py — bring the update script's function definitions in line
with the fresh install.

When two changes of one release both redefine a function, the update script
holds both definitions and the later one wins, although the fresh install
(assembled from sql/areas/) has the two changes merged.  test/scripts/upgrade.sh
reports such functions; tools/upgrade_sync.sh passes their definitions, as
pg_get_functiondef() prints them from a fresh install (one file, statements
separated by a line '-- next'), to this script, which writes each one in place
of the first statement of the update script that creates or replaces that
function and removes the later ones.  A function the script does not define
yet, or one whose name has overloads (LEDGER_OVERLOADED), is appended at the end.

  python3 tools/upgrade_sync.py sql/ledger--1.0--1.1.sql DEFS.sql
"""
import os
import re
import sys

CREATE = re.compile(r'CREATE (?:OR REPLACE )?(?:FUNCTION|PROCEDURE) (ledger\.\w+)\s*\(')


def statements(text):
    """Split SQL into (start, end) spans of statements, respecting quotes,
    dollar quotes and comments."""
    spans, i, start, n = [], 0, 0, len(text)
    atomic = None
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
                if text.startswith("''", i):
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
        elif atomic is None and re.match(r'BEGIN\s+ATOMIC\b', text[i:i + 40], re.I) and \
                (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            atomic = 0          # a SQL-standard body: its ';' end no statement
            i += 5
        elif atomic is not None and re.match(r'(CASE|END)\b', text[i:i + 4], re.I) and \
                not (text[i - 1].isalnum() or text[i - 1] == '_'):
            if text[i:i + 4].upper() == 'CASE':
                atomic += 1
            elif atomic == 0:
                atomic = None   # the END of BEGIN ATOMIC
            else:
                atomic -= 1
            i += 3
        elif c == ';' and atomic is None:
            spans.append((start, i + 1))
            i += 1
            start = i
        else:
            i += 1
    return spans


def code_of(stmt):
    """the statement without its leading comments and blank lines"""
    return re.sub(r'^(\s*(--[^\n]*|/\*.*?\*/[ \t]*)?\n)*', '', stmt.lstrip('\n'), flags=re.S)


def name_of(stmt):
    m = CREATE.match(code_of(stmt).lstrip())
    return m.group(1) if m else None


def main(script, defs_file):
    text = open(script).read()
    defs = {}
    for d in open(defs_file).read().split('\n-- next\n'):
        d = d.strip()
        if d:
            defs.setdefault(name_of(d), []).append(d.rstrip().rstrip(';') + ';')
    single = {n: d[0] for n, d in defs.items() if n and len(d) == 1}
    # names with more than one signature: their definitions are appended
    # (the last statement wins), the others are left where they are
    overloaded = set(os.environ.get('LEDGER_OVERLOADED', '').split())
    out, last, placed = [], 0, set()
    for s, e in statements(text):
        n = name_of(text[s:e])
        if n not in single or n in overloaded:
            continue
        stmt = text[s:e]
        lead = stmt[:len(stmt) - len(code_of(stmt))]
        out.append(text[last:s])
        if n not in placed:
            out.append(lead + single[n])
            placed.add(n)
        last = e
    out.append(text[last:])
    text = ''.join(out)
    for n, d in single.items():
        if n not in placed or n in overloaded:
            text = text.rstrip('\n') + '\n\n' + d + '\n'
    open(script, 'w').write(re.sub(r'\n{3,}', '\n\n', text))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
