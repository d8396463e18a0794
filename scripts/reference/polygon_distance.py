# Reference values for geo-core/src/geodesy.rs: minimum geodesic distances between
# polylines, computed independently of the crate with GeographicLib (pip install geographiclib).
# Minimum geodesic distance between two lon/lat polylines, by minimising over every pair
# of edges: each edge is parametrised along its geodesic, and the distance from a point on
# one edge to the other edge is minimised by golden-section search nested in another.
from geographiclib.geodesic import Geodesic
G = Geodesic.WGS84
def point_on(a, b, t):
    l = G.InverseLine(a[1], a[0], b[1], b[0])
    p = l.Position(t * l.s13)
    return (p['lon2'], p['lat2'])
def d(p, q):
    return G.Inverse(p[1], p[0], q[1], q[0])['s12']
def golden(f, lo=0.0, hi=1.0, it=80):
    g = (5 ** 0.5 - 1) / 2
    a, b = lo, hi
    c, e = b - g * (b - a), a + g * (b - a)
    fc, fe = f(c), f(e)
    for _ in range(it):
        if fc < fe:
            b, e, fe = e, c, fc
            c = b - g * (b - a); fc = f(c)
        else:
            a, c, fc = c, e, fe
            e = a + g * (b - a); fe = f(e)
    return min(fc, fe, f(lo), f(hi))
def edge_edge(a0, a1, b0, b1):
    return golden(lambda s: golden(lambda t: d(point_on(a0, a1, s), point_on(b0, b1, t)), it=60), it=60)
def min_dist(A, B):
    return min(edge_edge(A[i], A[i+1], B[j], B[j+1]) for i in range(len(A)-1) for j in range(len(B)-1))
# Case 1: two rotated quadrilaterals ~350 m apart (vertex of one facing an edge of the other).
A = [(121.2000, 31.9000), (121.2010, 31.9002), (121.2008, 31.9012), (121.1998, 31.9010), (121.2000, 31.9000)]
B = [(121.2045, 31.9003), (121.2060, 31.8995), (121.2068, 31.9010), (121.2052, 31.9018), (121.2045, 31.9003)]
print("poly-poly", repr(min_dist(A, B)))
# Case 2: a long diagonal pipe and a house 3 km away at 45 degrees.
L = [(121.10, 31.80), (121.14, 31.83), (121.18, 31.82)]
H = [(121.1600, 31.8500), (121.1602, 31.8500), (121.1602, 31.8502), (121.1600, 31.8502), (121.1600, 31.8500)]
print("line-poly", repr(min_dist(L, H)))
