#!/usr/bin/env python3
"""Checks src/i18n/zh.tsv, nrqc's Chinese message catalogue, against itself and against the
source in src/ (src/i18n/ left out), so that a message changed in the code does not leave its
Chinese behind unnoticed. tests/lang.rs runs it; run it after changing a message.

(a) format: exactly one TAB per entry; `{}` count in English == number of distinct `{n}` in
    Chinese; indices 0..n-1 each used exactly once; no other braces; no duplicate English.
(b) source: every literal piece of an English template (text between `{}`) must occur in a
    string literal of /work/main/src (placeholders `{name}`/`{}`/`{:?}` normalised to `{}`,
    backslash-newline continuations joined, `\\"` unescaped). Sections start with a comment
    `# src/<file>` (checked) or `# external: <library>` (std::io, serde, zip, csv, geozero
    texts: not in src, skipped). An entry preceded by `# composed: part | part …` is built
    from several source literals; each listed part is checked instead, and listed as a note.
Prints the number of entries per section.
"""
import os, re, sys
from collections import Counter, OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TSV = os.path.join(ROOT, "src", "i18n", "zh.tsv")
SRC = os.path.join(ROOT, "src")

def rust_literals(text):
    """String literals of Rust source (normal and raw), with continuations joined."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i); i = n if j < 0 else j; continue
        m = re.match(r'r(#*)"', text[i:i+10])
        if m and (i == 0 or not (text[i-1].isalnum() or text[i-1] == '_')):
            hashes = m.group(1)
            end = text.find('"' + hashes, i + len(m.group(0)))
            if end < 0: break
            out.append(text[i+len(m.group(0)):end]); i = end + 1 + len(hashes); continue
        c = text[i]
        if c == "'":
            m = re.match(r"'(\\.|\\u\{[0-9a-fA-F]+\}|[^\\'])'", text[i:])
            if m: i += len(m.group(0)); continue
        if c == '"':
            j = i + 1; s = []
            while j < n and text[j] != '"':
                if text[j] == '\\':
                    nxt = text[j+1]
                    if nxt == '\n':
                        j += 2
                        while j < n and text[j] in ' \t\n': j += 1
                        continue
                    s.append({'"': '"', 'n': '\n', 't': '\t', '\\': '\\', "'": "'"}.get(nxt, '\\' + nxt))
                    j += 2; continue
                s.append(text[j]); j += 1
            out.append(''.join(s)); i = j + 1; continue
        i += 1
    return out

def normalise(lit):
    lit = lit.replace('{{', '\x00').replace('}}', '\x01')
    lit = re.sub(r'\{[^{}]*\}', '{}', lit)
    return lit.replace('\x00', '{').replace('\x01', '}')

def load_corpus():
    lits = []
    for dp, _, fs in os.walk(SRC):
        if os.path.relpath(dp, SRC).split(os.sep)[0] == 'i18n':
            continue
        for f in fs:
            if f.endswith('.rs'):
                lits += [normalise(l) for l in rust_literals(open(os.path.join(dp, f), encoding='utf-8').read())]
    return '\n'.join(lits)

def main():
    errors, notes = [], []
    sections = OrderedDict()
    section, external, composed = '(none)', True, None
    seen = {}
    entries = []
    for no, raw in enumerate(open(TSV, encoding='utf-8').read().split('\n'), 1):
        line = raw.rstrip('\r')
        if not line.strip():
            continue
        if line.startswith('#'):
            body = line[1:].strip()
            if body.startswith('composed:'):
                composed = body
            elif body.startswith('src/'):
                section, external = body.split()[0], False
            elif body.startswith('external:'):
                section, external = body.split('—')[0].strip() , True
            continue
        sections.setdefault(section, 0)
        sections[section] += 1
        if line.count('\t') != 1:
            errors.append(f'{no}: {line.count(chr(9))} TABs (need exactly 1)'); composed = None; continue
        en, zh = line.split('\t')
        if en != en.strip() or zh != zh.strip():
            errors.append(f'{no}: leading/trailing whitespace')
        k = en.count('{}')
        if re.sub(r'\{\}', '', en).count('{') or re.sub(r'\{\}', '', en).count('}'):
            errors.append(f'{no}: stray brace in English: {en!r}')
        idx = re.findall(r'\{(\d+)\}', zh)
        if re.sub(r'\{\d+\}', '', zh).count('{') or re.sub(r'\{\d+\}', '', zh).count('}'):
            errors.append(f'{no}: stray brace in Chinese: {zh!r}')
        c = Counter(int(x) for x in idx)
        if len(c) != k:
            errors.append(f'{no}: English has {k} {{}}, Chinese has {len(c)} distinct indices: {en!r}')
        if sorted(c) != list(range(len(c))):
            errors.append(f'{no}: indices not 0..n-1: {sorted(c)}')
        for i, cnt in c.items():
            if cnt != 1:
                errors.append(f'{no}: index {{{i}}} used {cnt} times')
        if en in seen:
            errors.append(f'{no}: duplicate English template (first on line {seen[en]}): {en!r}')
        seen[en] = no
        if '{}{}' in en or en == '{}':
            errors.append(f'{no}: two `{{}}` with nothing between them: {en!r}')
        if not en.replace('{}', '').strip():
            errors.append(f'{no}: template has no literal text')
        entries.append((no, section, external, composed, en))
        composed = None

    corpus = load_corpus()
    missing = 0
    for no, section, external, comp, en in entries:
        if external:
            continue
        pieces = [p for p in en.split('{}') if p.strip()]
        if comp is None:
            # the whole template, as one normalised literal (or its longest piece as fallback)
            if en in corpus:
                continue
            longest = max(pieces, key=len)
            if longest in corpus and all(p in corpus for p in pieces):
                continue
            bad = [p for p in pieces if p not in corpus]
            errors.append(f'{no} [{section}]: not found in source: {en!r}' + (f'  (pieces missing: {bad!r})' if bad else ''))
            missing += 1
        else:
            # `# composed: part | part …`: the source literals (normalised) the message is built
            # from; each must exist. The template itself is their combination.
            parts = [x for x in comp[len('composed:'):].lstrip().split(' | ')]
            bad = [x for x in parts if x.strip() and x not in corpus]
            if bad:
                errors.append(f'{no} [{section}]: composed template, source parts not found: {bad!r}')
                missing += 1
            else:
                notes.append(f'{no} [{section}]: {en!r} composed of {parts!r}')

    print('entries per section:')
    for s, n in sections.items():
        print(f'  {n:4d}  {s}')
    print(f'  {sum(sections.values()):4d}  total')
    if notes and '-v' in sys.argv:
        print(f'\ncomposed templates ({len(notes)}):')
        for x in notes: print('  ' + x)
    print()
    if errors:
        print(f'{len(errors)} problem(s):')
        for e in errors: print('  ' + e)
        sys.exit(1)
    print('OK: no problems')

if __name__ == '__main__':
    main()
