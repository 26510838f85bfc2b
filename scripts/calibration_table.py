"""Prints docs/calibration.md's comparison table from a results.md that
`realcheck all --repeat 2` wrote: python3 scripts/calibration_table.py [RESULTS_MD]"""
import re, sys
md = open(sys.argv[1] if len(sys.argv) > 1 else 'docs/calibration/results.md').read()
sec = md[md.index('## Real vs model over 2 runs'):md.index('## Real vs model (run 1)')]
rows = {}
for line in sec.splitlines():
    if not line.startswith('| ') or line.startswith('| scenario') or line.startswith('|---'):
        continue
    c = [x.strip() for x in line.strip('|').split('|')]
    if len(c) < 5: continue
    rows[(c[0], c[1])] = c[2:5]
def find(scn, met):
    hits = [(k, v) for k, v in rows.items() if k[0].startswith(scn) and k[1].startswith(met)]
    if len(hits) != 1:
        raise SystemExit(f"{scn!r} {met!r}: {len(hits)} matches: {[h[0] for h in hits][:4]}")
    return hits[0][1]
def mean(s):
    m = re.match(r'([-+0-9.,a-zA-Z]+)', s)
    return m.group(1)
def bracket(s):
    m = re.search(r'\[([^\]]+)\]', s)
    return m.group(1) if m else ''
SR, SS, HS, HR, ML, MN = 'steady-real', 'steady-shaped', 'herd-shaped', 'herd-real', 'memory-lru', 'memory-noeviction'
spec = [
 ('steady hit rate', 'real / shaped', [(SR,'steady hit rate'),(SS,'steady hit rate')], ''),
 ('DB queries/s served, steady', 'real / shaped', [(SR,'DB queries/s served (steady)'),(SS,'DB queries/s served (steady)')], ''),
 ('DB query latency p50 (sent to reply back), steady', 'real / shaped', [(SR,'DB query latency p50 (round'),(SS,'DB query latency p50 (round')], ' ms'),
 ('DB query latency p50, herd / `allkeys-lru` / `noeviction` runs', 'real', [(HR,'DB query latency p50 (round'),(ML,'DB query latency p50 (round'),(MN,'DB query latency p50 (round')], ' ms'),
 ('DB query latency p50, herd', 'shaped', [(HS,'DB query latency p50 (round')], ' ms'),
 ('DB query latency p99, steady', 'real / shaped', [(SR,'DB query latency p99 (round'),(SS,'DB query latency p99 (round')], ' ms'),
 ('DB query latency p99, herd / `allkeys-lru` / `noeviction` runs', 'real', [(HR,'DB query latency p99 (round'),(ML,'DB query latency p99 (round'),(MN,'DB query latency p99 (round')], ' ms'),
 ('DB query latency p99, herd', 'shaped', [(HS,'DB query latency p99 (round')], ' ms'),
 ('DB query latency p50 / p99 while Redis is down', 'shaped', [(HS,'DB query latency p50 while'),(HS,'DB query latency p99 while')], ' ms'),
 ('DB query latency p50 / p99 while Redis is down', 'real', [(HR,'DB query latency p50 while'),(HR,'DB query latency p99 while')], ' ms'),
 ('hit latency p50 (GET), steady', 'real / shaped', [(SR,'hit latency p50'),(SS,'hit latency p50')], ' ms'),
 ('hit latency p50, herd / `allkeys-lru` / `noeviction` runs', 'real', [(HR,'hit latency p50'),(ML,'hit latency p50'),(MN,'hit latency p50')], ' ms'),
 ('hit latency p50, herd', 'shaped', [(HS,'hit latency p50')], ' ms'),
 ('hit latency p99 (GET), steady', 'real / shaped', [(SR,'hit latency p99'),(SS,'hit latency p99')], ' ms'),
 ('hit latency p99, herd / `allkeys-lru` / `noeviction` runs', 'real', [(HR,'hit latency p99'),(ML,'hit latency p99'),(MN,'hit latency p99')], ' ms'),
 ('hit latency p99, herd', 'shaped', [(HS,'hit latency p99')], ' ms'),
 ('miss latency p50 (GET + DB query + SET), steady', 'real / shaped', [(SR,'miss latency p50'),(SS,'miss latency p50')], ' ms'),
 ('miss latency p50, herd / `allkeys-lru` / `noeviction` runs', 'real', [(HR,'miss latency p50'),(ML,'miss latency p50'),(MN,'miss latency p50')], ' ms'),
 ('miss latency p50, herd', 'shaped', [(HS,'miss latency p50')], ' ms'),
 ('miss latency p99, steady', 'real / shaped', [(SR,'miss latency p99'),(SS,'miss latency p99')], ' ms'),
 ('miss latency p99, herd / `allkeys-lru` / `noeviction` runs', 'real', [(HR,'miss latency p99'),(ML,'miss latency p99'),(MN,'miss latency p99')], ' ms'),
 ('miss latency p99, herd', 'shaped', [(HS,'miss latency p99')], ' ms'),
 ('peak DB offered load after the crash', 'shaped / real', [(HS,'peak DB offered'),(HR,'peak DB offered')], ' q/s'),
 ('DB queries/s served while Redis is down', 'shaped / real', [(HS,'DB queries/s served while'),(HR,'DB queries/s served while')], ''),
 ('errors/s while Redis is down', 'shaped', [(HS,'errors/s while')], ''),
 ("'too many connections' refusals (max_connections 12 < 16)", 'shaped', [(HS,"'too many")], ''),
 ("'too many connections' refusals (max_connections 12 < 16)", 'real', [(HR,"'too many")], ''),
 ('peak open DB connections, herd', 'shaped / real', [(HS,'peak open'),(HR,'peak open')], ''),
 ('pool-timeout errors, total', 'shaped', [(HS,'pool-timeout')], ''),
 ('latency p99 of successful requests while Redis is down', 'shaped / real', [(HS,'latency p99 while'),(HR,'latency p99 while')], ' ms'),
 ('seconds to 80% of steady hit rate after the cold restart', 'shaped / real', [(HS,'seconds for the hit rate to reach 80'),(HR,'seconds for the hit rate to reach 80')], ''),
 ('seconds to 50% of steady hit rate', 'shaped / real', [(HS,'seconds for the hit rate to reach 50'),(HR,'seconds for the hit rate to reach 50')], ''),
 ('hit rate 30 s after the restart', 'shaped / real', [(HS,'hit rate 30 s'),(HR,'hit rate 30 s')], ''),
 ('evictions/s, `allkeys-lru` at 50% of the warm set', 'real', [(ML,'evictions/s')], ''),
 ('hit rate under `allkeys-lru` / `noeviction` (decaying)', 'real', [(ML,'hit rate after'),(MN,'hit rate after')], ''),
 ('SETs refused with OOM per s, `noeviction`', 'real', [(MN,'SETs refused')], ''),
 ('DB queries/s under `noeviction` / `allkeys-lru`', 'real', [(MN,'DB queries/s served after'),(ML,'DB queries/s served after')], ''),
 ('throughput at 50 / 100 / 200 active connections, two cores shared', 'real', [('pg-connections (real', f'throughput at {n} active connections, cachesim') for n in (50,100,200)], ''),
 ('the same, PostgreSQL on a core of its own (fitted to run 1)', 'real', [('pg-curve-pinned', f'throughput at {n} active connections, cachesim') for n in (50,100,200)], ''),
 ('throughput at 50 / 100 / 200 active connections', 'shaped', [('pg-connections (shaped', f'throughput at {n} active connections, cachesim') for n in (50,100,200)], ''),
]
print('| quantity | shape | real | model | error |')
print('|---|---|---:|---:|---:|')
for label, shape, keys, unit in spec:
    vs = [find(*k) for k in keys]
    real = ' / '.join(mean(v[0]) for v in vs) + unit
    model = ' / '.join(mean(v[1]) for v in vs) + unit
    if len(vs) == 1 and bracket(vs[0][0]):
        real += f' [{bracket(vs[0][0])}]'
        model += f' [{bracket(vs[0][1])}]'
    e = ' / '.join(v[2] for v in vs)
    print(f'| {label} | {shape} | {real} | {model} | {e} |')
# the probes' medians per scenario (PING, SELECT 1, PING after it)
print()
for scn in (SR, SS, HS, HR, ML, MN):
    out = []
    for met in ("(real only) Redis PING round trip, paced probe during the load (a miss's GET), p50", "(real only) the probe's SELECT 1 after its PING (a miss's query), p50", "(real only) the probe's PING after its SELECT 1 (a miss's SET), p50"):
        try: out.append(mean(find(scn, met)[0]))
        except SystemExit: out.append('-')
    print(scn, out)
