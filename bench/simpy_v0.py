"""The seed's V0 written as a user would in SimPy, for a speed comparison with
cachesim's core (scripts/bench.sh prints both, on the same machine).

Same system as cachesim's `steady` preset: Poisson arrivals at RPS; 75% reads,
15% writes, 5% deletes, 5% direct queries; Zipf keys over the keyspace the
core derives for 85% (515,169 keys, s = 0.896); a per-key non-reset TTL cache
(300 s) behind a single-server Redis (20 us per command, 0.2 ms round trip);
2 pods, each with a pool of 100 DB connections (500 ms wait timeout); an
M/G/c DB (24 workers; SELECT 12 ms log-normal cv 0.15, write 0.5 ms, direct
3 ms) behind a 5 ms round trip, 3 ms of processing on the DB path. Starts
warm (each key cached with probability l*T/(1+l*T) for its read rate l).

    python3 bench/simpy_v0.py [RPS] [SIMULATED_SECONDS]
prints simulated requests per wall-clock second and the hit rate.
"""

import bisect
import math
import random
import sys
import time

import simpy

RPS = float(sys.argv[1]) if len(sys.argv) > 1 else 10_000.0
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
KEYS, ZIPF_S, TTL = 515_169, 0.896, 300.0
REDIS_CMD, REDIS_RTT = 20e-6, 0.2e-3
DB_RTT, PROCESSING, POOL_TIMEOUT = 5e-3, 3e-3, 0.5
SERVICE = {"select": 12e-3, "write": 0.5e-3, "direct": 3e-3}
CV = 0.15
SIGMA = math.sqrt(math.log(1 + CV * CV))

rng = random.Random(1)
weights = [k ** -ZIPF_S for k in range(1, KEYS + 1)]
total = sum(weights)
cdf = []
acc = 0.0
for w in weights:
    acc += w / total
    cdf.append(acc)


def zipf_key():
    return bisect.bisect_left(cdf, rng.random())


def lognormal(mean):
    return mean * math.exp(SIGMA * rng.gauss(0.0, 1.0) - SIGMA * SIGMA / 2)


env = simpy.Environment()
redis = simpy.Resource(env, capacity=1)
db = simpy.Resource(env, capacity=24)
pools = [simpy.Resource(env, capacity=100) for _ in range(2)]
cache = {}  # key -> expiry
stats = {"requests": 0, "reads": 0, "hits": 0, "errors": 0}

# warm start: each key cached with its steady-state probability
read_rate = RPS * 0.75
for k in range(KEYS):
    lam = read_rate * weights[k] / total
    if rng.random() < lam * TTL / (1 + lam * TTL):
        cache[k] = rng.random() * TTL


def redis_cmd():
    yield env.timeout(REDIS_RTT / 2)
    with redis.request() as r:
        yield r
        yield env.timeout(REDIS_CMD)
    yield env.timeout(REDIS_RTT / 2)


def db_query(pod, kind):
    with pools[pod].request() as conn:
        got = yield conn | env.timeout(POOL_TIMEOUT)
        if conn not in got:
            return False
        yield env.timeout(DB_RTT / 2)
        with db.request() as w:
            yield w
            yield env.timeout(lognormal(SERVICE[kind]))
        yield env.timeout(DB_RTT / 2)
    return True


def request(pod, op, key):
    stats["requests"] += 1
    yield env.timeout(1.5e-3)  # the LB
    if op == "read":
        yield from redis_cmd()
        stats["reads"] += 1
        exp = cache.get(key)
        if exp is not None and exp > env.now:
            stats["hits"] += 1
            return
        cache.pop(key, None)
        yield env.timeout(PROCESSING)
        ok = yield from db_query(pod, "select")
        if not ok:
            stats["errors"] += 1
            return
        yield from redis_cmd()
        cache[key] = env.now + TTL
    else:
        yield env.timeout(PROCESSING)
        ok = yield from db_query(pod, "direct" if op == "direct" else "write")
        if not ok:
            stats["errors"] += 1
            return
        if op == "write":
            yield from redis_cmd()
            cache[key] = env.now + TTL
        elif op == "delete":
            yield from redis_cmd()
            cache.pop(key, None)


def client():
    pod = 0
    while True:
        yield env.timeout(rng.expovariate(RPS))
        u = rng.random()
        op = "read" if u < 0.75 else "write" if u < 0.90 else "delete" if u < 0.95 else "direct"
        env.process(request(pod, op, zipf_key()))
        pod ^= 1


env.process(client())
t0 = time.perf_counter()
env.run(until=SECONDS)
wall = time.perf_counter() - t0
print(
    f"simpy   steady {RPS:>9.0f} RPS  capacity x1  {SECONDS:>4.0f} sim s  {stats['requests']:>9} requests"
    f"  run {wall * 1e3:>6.0f} ms  {stats['requests'] / wall / 1e6:>5.3f} M simulated req/s"
    f"  hit rate {stats['hits'] / max(1, stats['reads']):.3f}  errors {stats['errors']}"
)
