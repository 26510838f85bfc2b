//! The life of a request, event by event: the cache-aside logic of the seed's
//! pseudocode as AppService pods run it (arrival through the LB, GET, on a
//! miss processing, a pooled DB connection, SELECT and backfill SET; writes
//! and deletes through the DB then SET/DEL; answers, errors and timeouts).

use super::*;

impl Simulation {
    pub(super) fn schedule_arrival(&mut self, src: Source) {
        let rate = self.rates[src as usize];
        if rate <= 0.0 {
            self.next_arrival[src as usize] = Nanos::MAX;
            self.update_first_arrival();
            return;
        }
        let rng = match src {
            Source::Main => &mut self.rng_arrivals,
            Source::HotKey => &mut self.rng_hot,
            Source::Attack => &mut self.rng_attack,
        };
        let gap = from_secs(rng.exponential(1.0 / rate)).max(1);
        self.next_arrival[src as usize] = self.now + gap;
        self.update_first_arrival();
    }

    /// After an error or a timeout the client may try again (`client.retry`):
    /// at once, or after an exponential backoff with full jitter, within its
    /// retry budget.
    pub(super) fn maybe_retry(&mut self, op: Op, key: u32, attempt: u8) {
        let r = &self.retry;
        if r.policy == RetryPolicy::None || attempt as u32 >= r.max_retries {
            return;
        }
        if r.budget.is_some() {
            if self.retry_tokens < 1.0 {
                return;
            }
            self.retry_tokens -= 1.0;
        }
        let delay = match r.policy {
            RetryPolicy::Backoff => {
                let cap = (r.base_ms * libm::pow(2.0, attempt as f64)).min(r.max_ms);
                from_ms(self.rng_retry.uniform() * cap)
            }
            _ => 0,
        };
        let again = RetryTry {
            op,
            attempt: attempt + 1,
            key,
        };
        self.queue.push(self.now + delay, Ev::Retry(again));
    }

    /// The earliest next arrival of the three sources (ties: the lower source).
    #[inline]
    fn update_first_arrival(&mut self) {
        let a = &self.next_arrival;
        let mut first = (a[0], Source::Main);
        if a[1] < first.0 {
            first = (a[1], Source::HotKey);
        }
        if a[2] < first.0 {
            first = (a[2], Source::Attack);
        }
        self.first_arrival = first;
    }

    pub(super) fn arrival(&mut self, src: Source) {
        self.schedule_arrival(src);
        let (op, key) = match src {
            Source::Main => {
                let c = &self.scenario.client;
                let u = self.rng_arrivals.uniform();
                let op = Op::from_mix(u, c.read_fraction, c.write_fraction, c.delete_fraction);
                let key = if op == Op::Direct {
                    0
                } else {
                    (self.zipf.sample(&mut self.rng_arrivals) - 1) as u32
                };
                if self.arrival_log.len() < self.arrival_log_cap {
                    self.arrival_log.push((self.now, key, op));
                }
                (op, key)
            }
            Source::HotKey => {
                self.inner_read(self.hot_key);
                return;
            }
            Source::Attack => {
                let k = self.attack_next;
                self.attack_next = if k + 1 >= RESERVED_BASE {
                    ATTACK_BASE
                } else {
                    k + 1
                };
                (Op::Read, k)
            }
        };
        if let Some(b) = self.retry.budget {
            // each first try earns the budget's share of a retry
            self.retry_tokens = (self.retry_tokens + b).min(RETRY_TOKENS_MAX);
        }
        self.admit(op, key, 0);
    }

    /// A read a pod makes while it serves a page (the hot key's: a viral
    /// page's cache reads): no HTTP request of its own, so no LB and no
    /// request CPU, and no client to retry it. It goes to the next pod in
    /// rotation whose process runs; with none, no page is being served and it
    /// does not happen.
    fn inner_read(&mut self, key: u32) {
        let n = self.pods.len();
        let Some(pod) = (0..n)
            .map(|k| (self.inner_next + k) % n)
            .find(|&i| self.pods[i].routable() && self.pods[i].up)
        else {
            return;
        };
        self.inner_next = (pod + 1) % n;
        count!(self, arrived);
        let id = self.start(Request {
            inner: true,
            ..Request::new(self.now, key, Op::Read, pod as u16)
        });
        self.at_pod(id);
    }

    /// A request enters the model: from now on its client waits for it.
    #[inline]
    fn start(&mut self, r: Request) -> ReqId {
        let id = self.requests.alloc(r);
        self.client_in_flight += 1;
        self.deadlines
            .push_back((self.now + self.client_timeout, id));
        id
    }

    /// A client's try reaches the LB: the first, or a retry.
    pub(super) fn admit(&mut self, op: Op, key: u32, attempt: u8) {
        count!(self, arrived);
        self.frame.client_lb += 1;
        self.arrivals_seen += 1;
        // hashed, not every k-th: a stride would line up with the LB's round-robin
        let traced =
            self.trace_every != u64::MAX && mix64(self.arrivals_seen) % self.trace_every == 0;
        if self.rate_limited(key) {
            // 429 from the LB: the client over its limit is not retried
            self.count_failure(ErrorKind::RateLimited, self.lb_latency);
            return;
        }
        let now = self.now;
        let pods = &self.pods;
        match self.lb.route(now, pods.len(), |i| pods[i].routable()) {
            Err(reject) => {
                let kind = match reject {
                    LbReject::NoHealthyPod => ErrorKind::Lb502,
                    LbReject::OverCapacity => ErrorKind::Lb503,
                };
                self.count_failure(kind, self.lb_latency);
                self.maybe_retry(op, key, attempt);
                if traced {
                    let t = to_secs(now);
                    self.frame.hop(
                        node::CLIENT,
                        node::LB,
                        HopKind::Request,
                        t,
                        t + to_secs(self.lb_latency) / 2.0,
                    );
                    self.frame.hop(
                        node::LB,
                        node::CLIENT,
                        HopKind::Error,
                        t + to_secs(self.lb_latency) / 2.0,
                        t + to_secs(self.lb_latency),
                    );
                }
            }
            Ok((pod, at_pod)) => {
                let id = self.start(Request {
                    traced,
                    attempt,
                    ..Request::new(now, key, op, pod as u16)
                });
                if let Some(c) = self.frame.lb_pod.get_mut(pod) {
                    *c += 1;
                }
                if traced {
                    let t = to_secs(now);
                    let mid = t + to_secs(self.lb_latency) / 2.0;
                    self.frame.hop(
                        node::CLIENT,
                        node::LB,
                        HopKind::Request,
                        t,
                        mid.min(to_secs(at_pod)),
                    );
                    self.frame.hop(
                        node::LB,
                        node::pod(pod),
                        HopKind::Request,
                        mid.min(to_secs(at_pod)),
                        to_secs(at_pod),
                    );
                }
                self.queue.push_lane(lane::AT_POD, at_pod, Ev::AtPod(id));
            }
        }
    }

    pub(super) fn at_pod(&mut self, id: ReqId) {
        let (pod, op) = {
            let r = self.requests.get(id);
            (r.pod as usize, r.op)
        };
        if !self.pods[pod].up {
            // nothing listens: the LB answers 502 until its checks notice
            self.finish_with_error(id, ErrorKind::Lb502, false);
            return;
        }
        if self.pods[pod].inflight >= self.scenario.app.max_inflight_per_pod {
            // the pod refuses the connection; the LB answers 503
            self.finish_with_error(id, ErrorKind::Lb503, false);
            return;
        }
        self.pods[pod].inflight += 1;
        let r = self.requests.get_mut(id);
        r.to_pod_ns = (self.now - r.arrival).min(u32::MAX as Nanos) as u32;
        let now = self.now;
        match op {
            Op::Read if self.l1_lookup(id) => {}
            Op::Read => self.send_cache(id, CacheCmd::Get),
            _ => {
                self.requests.get_mut(id).phase = Phase::Processing;
                self.queue
                    .push_lane(lane::PROCESSED, now + self.processing, Ev::Processed(id));
            }
        }
    }

    /// The request's CPU at its pod, done before it answers at `at`: its own
    /// (unless it is a read within a page) and a DB reply's, if it had one.
    /// Charged at the end, so that the pods' CPU never reorders the commands
    /// Redis sees. Returns when the answer leaves, and whether it had to wait
    /// for a core.
    fn pod_work(&mut self, id: ReqId, at: Nanos) -> (Nanos, bool) {
        let r = self.requests.get(id);
        let own = if r.inner { 0 } else { self.cpu_request };
        let work = own + if r.db_replied { self.cpu_db } else { 0 };
        if work == 0 {
            return (at, false);
        }
        let done = self.pods[r.pod as usize].cpu.run(at, work);
        (done, done > at + work)
    }

    /// The shard that owns `key` now.
    #[inline]
    pub(super) fn shard_of(&self, key: u32) -> usize {
        self.router.route(key)
    }

    /// The pod <-> Redis round trip of `cmd`: a GET starts a request (or
    /// follows the pod's own processing); a SET or DEL follows a DB reply
    /// at once (`app.cache_rtt_after_db_ms`).
    #[inline]
    fn cache_hop_of(&self, cmd: CacheCmd) -> NetworkHop {
        if cmd == CacheCmd::Get {
            self.cache_hop
        } else {
            self.cache_hop_after_db
        }
    }

    /// Time from a shard back to the pod: the network's reply half (see
    /// [`NetworkHop`]), and the proxy's hop.
    #[inline]
    pub(super) fn reply_delay(&mut self, cmd: CacheCmd) -> Nanos {
        self.cache_hop_of(cmd).reply(&mut self.rng_hops)
            + self.proxy.as_ref().map_or(0, |p| p.half_latency)
    }

    pub(super) fn send_cache(&mut self, id: ReqId, cmd: CacheCmd) {
        let now = self.now;
        let (key, pod, traced, op) = {
            let r = self.requests.get(id);
            (r.key, r.pod as usize, r.traced, r.op)
        };
        if cmd == CacheCmd::Get && self.breaker_open(pod) {
            // the open breaker skips Redis: a miss, on to the DB (if admitted)
            count!(self, reads);
            let r = self.requests.get_mut(id);
            r.missed = true;
            r.phase = Phase::Processing;
            self.queue.push(now + self.processing, Ev::Processed(id));
            return;
        }
        let shard = self.shard_of(key);
        self.frame.cache_command(pod, shard);
        if cmd == CacheCmd::Get && !self.l1.is_empty() {
            self.hot_keys.observe(key);
        }
        let r = self.requests.get_mut(id);
        r.phase = if cmd == CacheCmd::Get {
            Phase::CacheGet
        } else {
            Phase::CacheUpdate
        };
        r.shard = shard as u8;
        // through the proxy, if there is one: it may refuse a command past its queue
        let half = self.cache_hop_of(cmd).half;
        let mut arrive = now + half;
        let mut at_proxy = None;
        if let Some(p) = &mut self.proxy {
            match p.forward(arrive) {
                Some(leaves) => {
                    at_proxy = Some((arrive, leaves));
                    arrive = leaves + p.half_latency;
                }
                None => {
                    self.queue.push(now + 2 * half, Ev::CacheFailed(id, cmd));
                    return;
                }
            }
        }
        let member = if cmd == CacheCmd::Get {
            self.read_member(shard)
        } else {
            replication::Member::Primary
        };
        if let replication::Member::Replica(j) = member {
            count!(self, replica_reads);
            self.frame.replica_reads[shard * node::MAX_REPLICAS as usize + j] += 1;
        }
        let r = self.requests.get_mut(id);
        let cache = match member {
            replication::Member::Primary => &mut self.caches[shard],
            replication::Member::Replica(j) => &mut self.replicas[shard][j],
        };
        if cache.host_down {
            // nobody answers: the client waits for its command timeout
            self.queue
                .push(now + self.cache_timeout, Ev::CacheFailed(id, cmd));
            return;
        }
        if !cache.ready(arrive) {
            // refused (process down) or -LOADING, one round trip later
            let back = arrive + (arrive - now);
            self.queue.push(back, Ev::CacheFailed(id, cmd));
            return;
        }
        r.epoch = cache.epoch;
        let version = r.version;
        let extra = if key == self.hot_key && op != Op::Direct {
            self.hot_extra
        } else {
            0
        };
        let epoch = cache.epoch;
        let verb = match cmd {
            CacheCmd::Get => Verb::Get,
            CacheCmd::Set => Verb::Set,
            CacheCmd::Del => Verb::Del,
        };
        let (start, done) = cache.enqueue(arrive, verb, extra);
        count!(self, cache_ops);
        if start - arrive <= self.cache_timeout {
            self.queue
                .push_lane(lane::CACHE_DONE, done, Ev::CacheDone(id, cmd, shard as u8));
        } else {
            // the client gives up; Redis still runs the command when its turn comes
            let gives_up = if cmd == CacheCmd::Get {
                Ev::CacheFailed(id, cmd)
            } else {
                Ev::CacheLate(id)
            };
            self.queue.push(now + self.cache_timeout, gives_up);
            if cmd != CacheCmd::Get {
                let late = LateWrite {
                    shard: shard as u8,
                    epoch: epoch as u8,
                    del: cmd == CacheCmd::Del,
                    user: op != Op::Read,
                    version,
                    key,
                };
                self.queue.push(done, Ev::LateWrite(late));
            }
        }
        if traced {
            let kind = if cmd == CacheCmd::Get {
                HopKind::CacheGet
            } else {
                HopKind::CacheWrite
            };
            let (from, to) = (node::pod(pod), node::shard(shard));
            match at_proxy {
                None => self
                    .frame
                    .hop(from, to, kind, to_secs(now), to_secs(arrive)),
                Some((reach, leaves)) => {
                    self.frame
                        .hop(from, node::PROXY, kind, to_secs(now), to_secs(reach));
                    self.frame
                        .hop(node::PROXY, to, kind, to_secs(leaves), to_secs(arrive));
                }
            }
        }
    }

    /// A traced reply from a shard to a pod, through the proxy if there is one.
    fn reply_hop(&mut self, shard: usize, pod: u16, kind: HopKind, back: Nanos) {
        let (now, from, to) = (self.now, node::shard(shard), node::pod(pod as usize));
        match &self.proxy {
            None => self.frame.hop(from, to, kind, to_secs(now), to_secs(back)),
            Some(p) => {
                let mid = now + p.half_latency;
                self.frame
                    .hop(from, node::PROXY, kind, to_secs(now), to_secs(mid));
                self.frame
                    .hop(node::PROXY, to, kind, to_secs(mid), to_secs(back));
            }
        }
    }

    pub(super) fn cache_done(&mut self, id: ReqId, cmd: CacheCmd, shard: usize) {
        let (epoch, key, op, version, traced, pod) = {
            let r = self.requests.get(id);
            (r.epoch, r.key, r.op, r.version, r.traced, r.pod)
        };
        let Some(member) = self.member_by_epoch(shard, epoch) else {
            // the command was lost in a crash (or its shard left): the app sees a dropped connection
            self.cache_failed(id, cmd);
            return;
        };
        self.breaker_record(pod as usize, true);
        let now = self.now;
        let back = now + self.reply_delay(cmd);
        let hop = |s: &mut Self, kind| {
            if traced {
                s.reply_hop(shard, pod, kind, back);
            }
        };
        match cmd {
            CacheCmd::Get => {
                count!(self, reads);
                match self.member_mut(shard, member).get(key, now) {
                    GetResult::Hit { version } => {
                        count!(self, hits);
                        self.check_stale(key, version);
                        self.l1_store(pod as usize, key, version);
                        hop(self, HopKind::CacheHit);
                        self.respond_at(id, back);
                    }
                    GetResult::Miss => {
                        hop(self, HopKind::CacheMiss);
                        self.requests.get_mut(id).missed = true;
                        // the proxy sees the miss itself: a load of the key already in flight is joined now
                        if self.proxy.as_ref().is_some_and(|p| p.single_flight)
                            && self.join_flight(id)
                        {
                            return;
                        }
                        let r = self.requests.get_mut(id);
                        r.missed = true;
                        r.phase = Phase::Processing;
                        self.queue.push_lane(
                            lane::MISSED,
                            back + self.processing,
                            Ev::Processed(id),
                        );
                    }
                }
            }
            CacheCmd::Set => {
                hop(self, HopKind::CacheWrite);
                if op == Op::Read {
                    self.l1_store(pod as usize, key, version);
                }
                match self.caches[shard].set(key, version, Some(self.ttl), now, &mut self.rng_evict)
                {
                    SetResult::Stored => {
                        self.replicate(shard, false, key, version, op == Op::Write);
                        self.respond_at(id, back)
                    }
                    SetResult::Oom => {
                        count!(self, set_oom);
                        if op == Op::Write {
                            self.finish_with_error(id, ErrorKind::CacheOom, true);
                        } else {
                            // backfill is fire-and-forget: the read still returns its value
                            self.respond_at(id, back);
                        }
                    }
                }
            }
            CacheCmd::Del => {
                hop(self, HopKind::CacheWrite);
                self.caches[shard].del(key);
                self.replicate(shard, true, key, version, true);
                self.respond_at(id, back);
            }
        }
    }

    /// A SET or DEL whose client had given up runs at last.
    pub(super) fn late_write(&mut self, w: LateWrite) {
        let now = self.now;
        let ttl = self.ttl;
        let Some(cache) = self.caches.get_mut(w.shard as usize) else {
            return;
        };
        if !cache.up || cache.epoch as u8 != w.epoch {
            // lost in a crash: a client write's update never lands
            if w.user && cache.up {
                count!(self, invalidation_failures);
                self.schedule_invalidation_retry(w.key, 1);
            }
            return;
        }
        if w.del {
            cache.del(w.key);
        } else if cache.set(w.key, w.version, Some(ttl), now, &mut self.rng_evict) == SetResult::Oom
        {
            count!(self, set_oom);
            return;
        }
        self.replicate(w.shard as usize, w.del, w.key, w.version, w.user);
    }

    /// The app stopped waiting for a SET or DEL that Redis will still run
    /// (`late_write`): the request goes on as after a failed command, but the
    /// update is not lost (it lands late; if a crash loses it first,
    /// `late_write` counts it then).
    pub(super) fn cache_gave_up(&mut self, id: ReqId) {
        count!(self, cache_errors);
        self.breaker_record(self.requests.get(id).pod as usize, false);
        self.respond_at(id, self.now);
    }

    /// A Redis command failed (timeout, refused, lost in a crash).
    pub(super) fn cache_failed(&mut self, id: ReqId, cmd: CacheCmd) {
        count!(self, cache_errors);
        self.breaker_record(self.requests.get(id).pod as usize, false);
        match cmd {
            CacheCmd::Get => {
                // a lookup that found nothing: it counts as a read that missed
                self.totals.get_failures += 1;
                count!(self, reads);
                if let Some(c) = self.caches.get_mut(self.requests.get(id).shard as usize) {
                    c.lookups += 1;
                }
                // cache-aside degrades to the DB
                let r = self.requests.get_mut(id);
                r.missed = true;
                r.phase = Phase::Processing;
                self.queue
                    .push(self.now + self.processing, Ev::Processed(id));
            }
            CacheCmd::Set | CacheCmd::Del => {
                let r = self.requests.get(id);
                let (op, shard) = (r.op, r.shard as usize);
                if self.caches.get(shard).is_some_and(|c| c.up) && op != Op::Read {
                    // the old value stays cached: a failed invalidation
                    count!(self, invalidation_failures);
                    self.schedule_invalidation_retry(r.key, 1);
                }
                self.respond_at(id, self.now);
            }
        }
    }

    pub(super) fn acquire_connection(&mut self, id: ReqId) {
        if self.join_flight(id) {
            return;
        }
        let (op, pod) = {
            let r = self.requests.get(id);
            (r.op, r.pod as usize)
        };
        if op == Op::Read && !self.breaker_admits(pod) {
            self.finish_with_error(id, ErrorKind::Degraded, true);
            return;
        }
        count!(self, db_offered);
        let pod_i = self.requests.get(id).pod as usize;
        let pool_size = self.scenario.app.pool_size;
        let pod = &mut self.pods[pod_i];
        if pod.idle_since.pop_back().is_some() {
            self.send_query(id);
        } else if pod.pool_open < pool_size {
            if self.db.connect(self.now + self.db_hop.half) {
                pod.pool_open += 1;
                self.requests.get_mut(id).phase = Phase::Connecting;
                self.queue.push(self.now + self.connect, Ev::Connected(id));
            } else {
                self.db_breaker_record(pod_i, false);
                self.finish_with_error(id, ErrorKind::DbConnections, true);
            }
        } else {
            pod.waiters.push_back(id);
            pod.waiting += 1;
            self.requests.get_mut(id).phase = Phase::WaitingConnection;
            self.queue
                .push(self.now + self.pool_timeout, Ev::PoolTimeout(id));
        }
    }

    pub(super) fn send_query(&mut self, id: ReqId) {
        let now = self.now;
        let r = self.requests.get_mut(id);
        r.phase = Phase::Querying;
        let kind = match r.op {
            Op::Read => QueryKind::Select,
            Op::Direct => QueryKind::Direct,
            Op::Write | Op::Delete => QueryKind::Write,
        };
        let (traced, pod) = (r.traced, r.pod);
        let arrive = now + self.db_hop.half;
        let service = self.db.sample_service(kind, &mut self.rng_db);
        let (start, end) = self.db.execute(arrive, service);
        self.totals.db_sojourn_ns += end - arrive;
        self.totals.db_wait_ns += start - arrive;
        let back = end + self.db_hop.reply(&mut self.rng_hops);
        metrics::record_ns(&mut self.query_latency, back - now);
        self.querying += 1;
        if let Some(c) = self.frame.pod_db.get_mut(pod as usize) {
            *c += 1;
        }
        if traced {
            self.frame.hop(
                node::pod(pod as usize),
                node::DB,
                HopKind::DbQuery,
                to_secs(now),
                to_secs(arrive),
            );
            self.frame.hop(
                node::DB,
                node::pod(pod as usize),
                HopKind::DbReply,
                to_secs(end),
                to_secs(back),
            );
        }
        self.queue.push(back, Ev::DbDone(id));
    }

    /// The result is back: the connection returns to the pool.
    pub(super) fn release_connection(&mut self, pod_i: usize) {
        while let Some(next) = self.pods[pod_i].waiters.pop_front() {
            if self.requests.is_live(next)
                && self.requests.get(next).phase == Phase::WaitingConnection
            {
                self.pods[pod_i].waiting -= 1;
                self.send_query(next);
                return;
            }
        }
        let pod = &mut self.pods[pod_i];
        if pod.active {
            pod.idle_since.push_back(self.now);
        } else {
            // a retired pod closes its connections
            pod.pool_open -= 1;
            self.db.disconnect(1);
        }
    }

    pub(super) fn db_done(&mut self, id: ReqId) {
        let (pod, op, key) = {
            let r = self.requests.get(id);
            (r.pod as usize, r.op, r.key)
        };
        self.release_connection(pod);
        self.db_breaker_record(pod, true);
        self.querying -= 1;
        count!(self, db_queries);
        // decoding the row costs the pod CPU, charged when it answers
        self.requests.get_mut(id).db_replied = true;
        let now = self.now;
        match op {
            Op::Read => {
                count!(self, db_miss);
                self.requests.get_mut(id).version = self.db.version(key);
                self.send_cache(id, CacheCmd::Set);
            }
            Op::Write | Op::Delete => {
                self.db.bump(key, (self.now / NANOS_PER_MS) as u32);
                self.l1_drop(pod, key);
                self.publish_invalidation(key);
                if op == Op::Write {
                    count!(self, db_write);
                } else {
                    count!(self, db_delete);
                }
                self.requests.get_mut(id).version = self.db.version(key);
                let cmd = if op == Op::Write {
                    CacheCmd::Set
                } else {
                    CacheCmd::Del
                };
                if self.rng_faults.chance(self.invalidation_failure) {
                    // the SET/DEL is lost on the network; the app logs it and answers
                    if self.caches[self.shard_of(key)].up {
                        count!(self, invalidation_failures);
                        self.schedule_invalidation_retry(key, 1);
                    }
                    self.respond_at(id, now + 2 * self.cache_hop_after_db.half);
                } else {
                    self.send_cache(id, cmd);
                }
            }
            Op::Direct => {
                count!(self, db_direct);
                self.respond_at(id, now);
            }
        }
    }

    pub(super) fn pool_timeout_fires(&mut self, id: ReqId) {
        if !self.requests.is_live(id) || self.requests.get(id).phase != Phase::WaitingConnection {
            return;
        }
        let pod = self.requests.get(id).pod as usize;
        self.pods[pod].waiting -= 1;
        // mark it so the pool skips its stale queue entry
        self.requests.get_mut(id).phase = Phase::Responding;
        self.db_breaker_record(pod, false);
        self.finish_with_error(id, ErrorKind::PoolTimeout, true);
    }

    /// Single-flight: a missed read either joins a load of its key already
    /// in flight (true: it waits for that result) or starts one and leads it.
    /// The proxy's table, when it has single-flight on, spans every pod and is
    /// consulted when the proxy sees the miss; else each pod has its own when
    /// `app.single_flight` is on, consulted when the pod wants a connection.
    pub(super) fn join_flight(&mut self, id: ReqId) -> bool {
        let r = self.requests.get(id);
        if r.op != Op::Read || r.leads != Flight::None {
            return false;
        }
        let (key, pod) = (r.key, r.pod as usize);
        let (table, scope) = if self.proxy.as_ref().is_some_and(|p| p.single_flight) {
            (&mut self.proxy_flights, Flight::Proxy)
        } else if self.single_flight {
            (&mut self.pods[pod].flights, Flight::Pod)
        } else {
            return false;
        };
        match table.entry(key) {
            std::collections::btree_map::Entry::Occupied(mut waiting) => {
                waiting.get_mut().push(id);
                self.requests.get_mut(id).phase = Phase::Coalesced;
                count!(self, coalesced);
                true
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(Vec::new());
                self.requests.get_mut(id).leads = scope;
                false
            }
        }
    }

    /// A single-flight leader is done: the requests waiting for its load get
    /// its value at the same moment (`Ok(at)`), or its error.
    pub(super) fn land_flight(&mut self, id: ReqId, outcome: Result<Nanos, ErrorKind>) {
        let r = self.requests.get_mut(id);
        let scope = std::mem::replace(&mut r.leads, Flight::None);
        let (key, pod) = (r.key, r.pod as usize);
        let waiting = match scope {
            Flight::None => return,
            Flight::Pod => self.pods[pod].flights.remove(&key),
            Flight::Proxy => self.proxy_flights.remove(&key),
        };
        for f in waiting.unwrap_or_default() {
            debug_assert!(self.requests.is_live(f));
            debug_assert_eq!(self.requests.get(f).phase, Phase::Coalesced);
            match outcome {
                Ok(at) => self.respond_at(f, at),
                Err(kind) => self.finish_with_error(f, kind, true),
            }
        }
    }

    /// The server answers; the answer reaches the client at `at`. Only a network
    /// leg remains, which nothing can interrupt except the client's own timeout,
    /// so the request is completed now with its latency measured to `at` (one
    /// event fewer per request). If the timeout comes first, the answer waits.
    pub(super) fn respond_at(&mut self, id: ReqId, at: Nanos) {
        self.land_flight(id, Ok(at));
        let (at, queued) = self.pod_work(id, at);
        let r = self.requests.get_mut(id);
        r.phase = Phase::Responding;
        // a request waiting for a core still holds its place in the pod (its
        // concurrency limit), so it ends by an event when its CPU is done
        if !queued && (r.client_done || at - r.arrival <= self.client_timeout) {
            self.respond(id, at);
        } else {
            self.queue.push(at, Ev::Respond(id));
        }
    }

    /// The response reaches the client at `at`.
    pub(super) fn respond(&mut self, id: ReqId, at: Nanos) {
        let r = *self.requests.get(id);
        if r.client_done {
            self.totals.orphaned += 1;
        } else {
            let class = match (r.op, r.missed) {
                (Op::Read, false) => LatencyClass::Hit,
                (Op::Read, true) => LatencyClass::Miss,
                _ => LatencyClass::Other,
            };
            let latency = at - r.arrival;
            self.acc
                .lat
                .record(class, latency, latency - r.to_pod_ns as Nanos);
            count!(self, completed);
            self.client_in_flight -= 1;
            self.frame.responses += 1;
            if r.traced {
                let t = to_secs(at);
                self.frame.hop(
                    node::pod(r.pod as usize),
                    node::CLIENT,
                    HopKind::Response,
                    t,
                    t + to_secs(self.lb_latency),
                );
            }
        }
        self.release_request(id);
    }

    pub(super) fn release_request(&mut self, id: ReqId) {
        let pod = self.requests.get(id).pod as usize;
        if self.requests.get(id).phase != Phase::ToPod {
            self.pods[pod].inflight -= 1;
        }
        self.requests.free(id);
    }

    /// The server answers with an error (or refuses the request).
    pub(super) fn finish_with_error(&mut self, id: ReqId, kind: ErrorKind, accepted: bool) {
        self.land_flight(id, Err(kind));
        let r = *self.requests.get(id);
        if !r.client_done {
            self.client_in_flight -= 1;
            self.count_failure(kind, self.now + self.lb_latency - r.arrival);
            if !r.inner {
                self.maybe_retry(r.op, r.key, r.attempt);
            }
            if r.traced {
                let t = to_secs(self.now);
                self.frame.hop(
                    node::pod(r.pod as usize),
                    node::CLIENT,
                    HopKind::Error,
                    t,
                    t + to_secs(self.lb_latency),
                );
            }
        }
        if !accepted {
            // refused at the door: it never counted against the pod
            self.requests.get_mut(id).phase = Phase::ToPod;
        }
        self.release_request(id);
    }

    /// A request failed; its error reaches the client `latency` after it arrived.
    pub(super) fn count_failure(&mut self, kind: ErrorKind, latency: Nanos) {
        self.acc.lat.record_failure(latency);
        count!(self, failed);
        self.frame.errors += 1;
        match kind {
            ErrorKind::Lb503 => count!(self, err_503),
            ErrorKind::Lb502 => count!(self, err_502),
            ErrorKind::Timeout => count!(self, err_timeout),
            ErrorKind::DbConnections => count!(self, err_db_connections),
            ErrorKind::PoolTimeout => count!(self, err_pool_timeout),
            ErrorKind::CacheOom => count!(self, err_cache_oom),
            ErrorKind::Degraded => count!(self, err_degraded),
            ErrorKind::RateLimited => count!(self, err_rate_limited),
        }
    }

    pub(super) fn client_timeout_fires(&mut self, id: ReqId) {
        if !self.requests.is_live(id) {
            return;
        }
        let r = self.requests.get_mut(id);
        if r.client_done {
            return;
        }
        r.client_done = true;
        let (traced, op, key, attempt) = (r.traced, r.op, r.key, r.attempt);
        self.client_in_flight -= 1;
        self.count_failure(ErrorKind::Timeout, self.client_timeout);
        // the server may still be working on it: a retry is extra load
        self.maybe_retry(op, key, attempt);
        if traced {
            let t = to_secs(self.now);
            self.frame.hop(
                node::LB,
                node::CLIENT,
                HopKind::Error,
                t,
                t + to_secs(self.lb_latency),
            );
        }
    }
}
