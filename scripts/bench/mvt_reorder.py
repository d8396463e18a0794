"""Would another order of a tile's features compress better? Reads raw (uncompressed)
one-layer tiles from a directory, rewrites each layer with its features in id order (as
served), by row, Morton or Hilbert order of their first vertex, and prints the zlib
sizes at levels 1 and 6 of each order. Usage: mvt_reorder.py DIR_OF_RAW_TILES"""
import glob, sys, zlib
def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80: return r, i
def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i); f, w = k >> 3, k & 7
        if w == 0: v, j = varint(b, i); yield f, w, b[i:j], v; i = j
        elif w == 2: n, i = varint(b, i); yield f, w, b[i:i+n], None; i += n
        elif w == 1: yield f, w, b[i:i+8], None; i += 8
        elif w == 5: yield f, w, b[i:i+4], None; i += 4
def enc_varint(v):
    o = bytearray()
    while v >= 0x80: o.append((v & 0x7f) | 0x80); v >>= 7
    o.append(v); return bytes(o)
def unzz(v): return (v >> 1) ^ -(v & 1)
def morton(x, y):
    r = 0
    for k in range(14): r |= ((x >> k) & 1) << (2*k) | ((y >> k) & 1) << (2*k+1)
    return r
def hilbert(x, y, n=1<<14):
    d = 0; s = n >> 1
    while s > 0:
        rx = 1 if (x & s) else 0; ry = 1 if (y & s) else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1: x = s-1-x; y = s-1-y
            x, y = y, x
        s >>= 1
    return d
tot = {}
for path in sorted(glob.glob(sys.argv[1] + '/*.mvt')):
    t = open(path,'rb').read()
    for f, w, layer, _ in fields(t):
        parts = []; feats = []
        for lf, lw, lb, lv in fields(layer):
            if lf == 2:
                g = [x for ff, fw, fb, fv in fields(lb) if ff == 4 for x in [fb]][0]
                a, i = varint(g, 0); x, i = varint(g, i); y, i = varint(g, i)
                x, y = unzz(x) + 64, unzz(y) + 64
                idv = [fv for ff, fw, fb, fv in fields(lb) if ff == 1][0]
                feats.append((lb, x, y, idv))
            else:
                parts.append(enc_varint(lf << 3 | lw) + (enc_varint(len(lb)) + lb if lw == 2 else lb))
        def build(order):
            body = b''.join(enc_varint(2 << 3 | 2) + enc_varint(len(fb)) + fb for fb, *_ in order)
            lay = parts[0] + body + b''.join(parts[1:])
            return enc_varint(3 << 3 | 2) + enc_varint(len(lay)) + lay
        variants = {'id': feats, 'yx': sorted(feats, key=lambda q: (q[2] >> 4, q[1])), 'morton': sorted(feats, key=lambda q: morton(max(q[1],0), max(q[2],0))), 'hilbert': sorted(feats, key=lambda q: hilbert(max(q[1],0), max(q[2],0)))}
        for name, order in variants.items():
            b = build(order)
            for lvl in (1, 6):
                tot[(name, lvl)] = tot.get((name, lvl), 0) + len(zlib.compress(b, lvl))
            tot[(name, 'raw')] = tot.get((name, 'raw'), 0) + len(b)
for k, v in sorted(tot.items(), key=str): print(k, v)
