#!/usr/bin/env python3
"""tools/raise2call.py FILE...: rewrites every `RAISE EXCEPTION fmt, args USING ERRCODE,
DETAIL, HINT;` of the given SQL files as `PERFORM ledger._raise(sqlstate, message,
detail => ..., hint => ...)`, which raises the same error without CONTEXT lines."""
import sys, re, os, subprocess

def pg_codes():
    """condition name -> SQLSTATE, from the server's errcodes.txt"""
    try:
        share = subprocess.run([os.environ.get('PG_CONFIG', 'pg_config'), '--sharedir'],
                               capture_output=True, text=True).stdout.strip()
        codes = {}
        for line in open(os.path.join(share, 'errcodes.txt')):
            f = line.split()
            if len(f) == 4 and re.match(r'^[0-9A-Z]{5}$', f[0]):
                codes[f[3]] = f[0]
        return codes
    except OSError:
        return {}
CODES = {
    'bad_copy_file_format': '22P04', 'check_violation': '23514', 'datatype_mismatch': '42804',
    'foreign_key_violation': '23503', 'invalid_parameter_value': '22023', 'lock_not_available': '55P03',
    'null_value_not_allowed': '22004', 'numeric_value_out_of_range': '22003',
    'object_not_in_prerequisite_state': '55000', 'unique_violation': '23505',
}

def split_top(s, stop_word=None):
    """split s at top-level commas; if stop_word, also stop at it (returns parts, rest)"""
    parts, cur, depth, i, n = [], [], 0, 0, len(s)
    while i < n:
        c = s[i]
        if c == "'":
            j = i + 1
            while True:
                k = s.index("'", j)
                if k + 1 < n and s[k + 1] == "'":
                    j = k + 2
                    continue
                break
            cur.append(s[i:k + 1]); i = k + 1; continue
        if c in '([':
            depth += 1
        elif c in ')]':
            depth -= 1
        elif c == ',' and depth == 0:
            parts.append(''.join(cur)); cur = []; i += 1; continue
        if stop_word and depth == 0 and re.match(r'\s' + stop_word + r'\b', s[i:]):
            parts.append(''.join(cur))
            return parts, s[i:].strip()[len(stop_word):]
        cur.append(c); i += 1
    parts.append(''.join(cur))
    return parts, None

def stmt_end(s, i):
    depth, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "'":
            j = i + 1
            while True:
                k = s.index("'", j)
                if k + 1 < n and s[k + 1] == "'":
                    j = k + 2; continue
                break
            i = k + 1; continue
        if c in '([': depth += 1
        elif c in ')]': depth -= 1
        elif c == ';' and depth == 0:
            return i
        i += 1
    raise ValueError('no end')

def convert(body):
    out, pos = [], 0
    for m in re.finditer(r'^([ \t]*)RAISE EXCEPTION\s', body, re.M):
        if m.start() < pos:
            continue
        ind = m.group(1)
        end = stmt_end(body, m.end())
        stmt = body[m.end():end]
        args, using = split_top(stmt, 'USING')
        fmt = args[0].strip()
        assert fmt.startswith("'") and fmt.endswith("'"), fmt
        assert '%%' not in fmt
        params = [a.strip() for a in args[1:]]
        nph = len(re.findall(r'%', fmt))
        assert nph == len(params), (fmt, params)
        if params:
            msg = "pg_catalog.format(" + re.sub(r'%', '%s', fmt) + ", " + ", ".join(params) + ")"
        else:
            msg = fmt
        opts = {}
        if using is not None:
            for o in split_top(using)[0]:
                o = o.strip()
                mm = re.match(r'(\w+)\s*=\s*(.*)$', o, re.S)
                opts[mm.group(1).upper()] = mm.group(2).strip()
        code = opts.pop('ERRCODE').strip("'")
        code = CODES.get(code) or pg_codes().get(code, code)
        assert re.match(r'^[0-9A-Z]{5}$', code), code
        call = ind + "PERFORM ledger._raise('" + code + "', " + msg
        for k in ('DETAIL', 'HINT'):
            if k in opts:
                call += ",\n" + ind + "\t" + k.lower() + " => " + opts.pop(k)
        assert not opts, opts
        call += ")"
        out.append(body[pos:m.start()]); out.append(call); pos = end
    out.append(body[pos:])
    return ''.join(out)

for f in sys.argv[1:]:
    s = open(f).read()
    t = convert(s)
    if t != s:
        open(f, 'w').write(t)
        print(f, s.count('RAISE EXCEPTION'), '->', t.count('RAISE EXCEPTION'))
