#!/usr/bin/env python3
"""Fails when a crate's modules import each other in a cycle.

usage: module-cycles.py SRC_DIR [--top]

Edges are `use crate::…`/`super::…`/`self::…` imports and `crate::…` paths, resolved to the
deepest module file that exists (file granularity; `--top` folds them into top-level modules).
Comments and `#[cfg(test)] mod tests { … }` blocks are skipped, `__private` (macro support)
is ignored, and a module's references to its own children (declaring, re-exporting) are its
structure, not imports. Exit status 1 and the cycle's edges when there is one.
"""
import os, re, sys
src = sys.argv[1]; top = '--top' in sys.argv
mods = {}
for root, _, files in os.walk(src):
    for f in files:
        if not f.endswith('.rs'): continue
        p = os.path.join(root, f); rel = os.path.relpath(p, src)[:-3]
        parts = rel.split(os.sep)
        if parts[-1] in ('mod', 'lib'): parts = parts[:-1]
        mods[tuple(parts)] = p
def resolve(path):
    # deepest existing module prefix
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in mods: return tuple(path[:n])
    return ()
def strip(text):
    text = re.sub(r'//[^\n]*', '', text)
    return re.sub(r'/\*.*?\*/', '', text, flags=re.S)
def expand(prefix, body):
    # expand a use tree body "a::{b, c::d}" into paths
    out = []; depth = 0; cur = ''; items = []
    for ch in body:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0: items.append(cur); cur = ''
        else: cur += ch
    items.append(cur)
    for it in items:
        it = it.strip()
        if not it: continue
        m = re.match(r'^([\w:]*?)(?:::)?\{(.*)\}$', it, re.S)
        if m:
            p = [x for x in m.group(1).split('::') if x]
            out += expand(prefix + p, m.group(2))
        else:
            out.append(prefix + [x.strip() for x in it.split(' as ')[0].split('::') if x.strip()])
    return out
edges = {}
for mod, p in mods.items():
    text = strip(open(p).read())
    text = re.split(r'#\[cfg\(test\)\]\s*mod tests\s*\{', text)[0]
    # drop #[cfg(test)] mod tests {...} blocks crudely: skip files named tests
    if mod and mod[-1] == 'tests': continue
    paths = []
    for m in re.finditer(r'\buse\s+(crate|super|self)((?:::)[^;]*);', text, re.S):
        body = m.group(1) + m.group(2)
        paths += expand([], body)
    for m in re.finditer(r'\b(crate(?:::\w+)+)', text):
        paths.append(m.group(1).split('::'))
    tgt = set()
    for path in paths:
        base = list(mod) if not os.path.basename(p) in ('mod.rs','lib.rs') else list(mod)
        if path[0] == 'crate': full = path[1:]
        elif path[0] == 'super':
            b = list(mod)[:-1] if os.path.basename(p) not in ('mod.rs',) else list(mod)[:-1]
            i = 0; 
            while i < len(path) and path[i] == 'super':
                i += 1
            b = list(mod)[:len(mod)-i]
            full = b + path[i:]
        elif path[0] == 'self': full = list(mod) + path[1:]
        else: continue
        r = resolve(full)
        if top: r = r[:1]
        # A module's own children (declared, re-exported) are its structure, not an import.
        if r[:len(mod)] == tuple(mod) and not top: continue
        if r and r != (mod[:1] if top else mod) and r != ('__private',):
            tgt.add(r)
    src_mod = mod[:1] if top else mod
    if src_mod: edges.setdefault(src_mod, set()).update(tgt)
# Tarjan SCC
idx = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(comp)
for v in list(edges): 
    if v not in idx: sc(v)
n = lambda m: '::'.join(m)
for comp in sccs:
    print('CYCLE:', ', '.join(sorted(n(m) for m in comp)))
    cs = set(comp)
    for m in sorted(comp):
        print('   ', n(m), '->', ', '.join(sorted(n(t) for t in edges[m] if t in cs)))
if not sccs: print('no cycles among', len(edges), 'modules')
sys.exit(1 if sccs else 0)
