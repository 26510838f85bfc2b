//! Commands (faults and live changes) applied to the running system: to one
//! shard, to every shard, or to the architecture itself (add or remove a
//! shard, change the router, put the proxy in or take it out).

use super::*;

impl Simulation {
    pub(super) fn set_source_rate(&mut self, src: Source, rate: f64) {
        self.rates[src as usize] = rate;
        // arrivals are memoryless: restarting the stream keeps it Poisson
        self.schedule_arrival(src);
        self.update_trace_every();
    }

    /// The shards a command acts on: one, or every one.
    fn targets(&self, shard: Option<u32>) -> std::ops::Range<usize> {
        match shard {
            Some(s) => s as usize..s as usize + 1,
            None => 0..self.caches.len(),
        }
    }

    /// A new epoch: commands in flight to a shard from before it fail.
    pub(super) fn fresh_epoch(&mut self) -> u32 {
        self.next_epoch += 1;
        self.next_epoch
    }

    pub(super) fn execute(&mut self, cmd: Command) {
        match cmd {
            Command::CrashCache { shard, host } => self.crash_shard(shard as usize, host),
            Command::RestartCache { shard } => self.restart_shard(shard as usize),
            Command::HotKey {
                rate,
                value_kb,
                shard,
            } => {
                let per_kb = self.scenario.cache.per_kb_us * 1_000.0;
                self.hot_extra = if rate > 0.0 {
                    (per_kb * (value_kb - 1.0)) as Nanos
                } else {
                    0
                };
                self.hot_key = match shard {
                    Some(s) => self.hottest_key_on(s as usize),
                    None => 0,
                };
                self.set_source_rate(Source::HotKey, rate)
            }
            Command::KeyBusting { rate } => self.set_source_rate(Source::Attack, rate),
            Command::SetRps { rps } => self.set_source_rate(Source::Main, rps),
            Command::InvalidationFailure { probability } => self.invalidation_failure = probability,
            Command::SetMemory { gb, shard } => {
                for i in self.targets(shard) {
                    self.caches[i].set_memory_gb(gb);
                }
            }
            Command::SetEviction { policy } => {
                for c in &mut self.caches {
                    c.policy = policy;
                }
            }
            Command::SetEvictionPool { on } => {
                for c in self
                    .caches
                    .iter_mut()
                    .chain(self.replicas.iter_mut().flatten())
                {
                    c.eviction_pool = on;
                }
            }
            Command::FillMemory { fraction, shard } => {
                for i in self.targets(shard) {
                    if self.caches[i].up {
                        self.caches[i].fill(fraction);
                    }
                }
            }
            Command::ClearFill { shard } => {
                for i in self.targets(shard) {
                    self.caches[i].clear_fill();
                }
            }
            Command::DbSlowdown { factor } => self.db.slowdown = factor,
            Command::PodsUnhealthy { count } => {
                // their processes stop answering; the LB's checks notice
                for (i, p) in self.pods.iter_mut().enumerate() {
                    p.up = (i as u32) >= count;
                }
            }
            Command::Autoscale { on } => {
                self.autoscale.on = on;
                if !on {
                    self.scale_out = None;
                }
                self.autoscaler = Default::default();
            }
            Command::SetPods { count } => self.set_pods(count as usize),
            Command::SetTargetHitRate { hit_rate } => {
                self.target_hit_rate = hit_rate;
                let s = &self.scenario;
                self.keyspace = calibrate::derive_keyspace(
                    hit_rate,
                    s.client.top1_share,
                    key_rates(s, self.rates[0]),
                    to_secs(self.ttl),
                    miss_delay_s(s),
                );
                self.zipf = Zipf::new(self.keyspace.keys, self.keyspace.zipf_s);
                self.db.ensure_keys(self.keyspace.keys);
            }
            Command::SetTtl { seconds } => self.ttl = from_secs(seconds),
            Command::SingleFlight { on } => self.single_flight = on,
            Command::AddShard => self.add_shard(),
            Command::RemoveShard => self.remove_shard(),
            Command::SetRouter { router } => self.router = self.router.with_kind(router),
            Command::SetProxy { on } => {
                self.proxy = if on {
                    Some(CacheProxy::new(&self.proxy_cfg))
                } else {
                    None
                };
            }
            Command::ProxySingleFlight { on } => {
                self.proxy_cfg.single_flight = on;
                if let Some(p) = &mut self.proxy {
                    p.single_flight = on;
                }
            }
            Command::Warmup { on } => {
                if on && !self.warmup_on {
                    self.open_warmup_pool();
                } else if !on && self.warmup_on {
                    self.close_warmup_pool();
                }
                self.warmup_on = on;
            }
            Command::StreamConsumer { on } => self.set_stream_running(on),
            Command::Mitigation { name, on } => self.set_mitigation(name, on),
            Command::ReplicaReads { on } => {
                if let Some(r) = &mut self.replication {
                    r.read_from_replicas = on;
                }
            }
        }
    }

    fn crash_shard(&mut self, i: usize, host: bool) {
        if host {
            self.caches[i].host_down = true;
        }
        if self.caches[i].up {
            self.caches[i].crash();
            self.caches[i].epoch = self.fresh_epoch();
            self.stop_warmup(i);
            self.schedule_failover(i);
        }
    }

    fn restart_shard(&mut self, i: usize) {
        if self.restart_member(i) != replication::Member::Primary {
            return; // a replica came back, synced from its primary
        }
        let start = from_ms(self.scenario.cache.restart_ms);
        self.caches[i].restart(self.now, start);
        self.caches[i].epoch = self.fresh_epoch();
        self.load_snapshot(i);
        self.stop_warmup(i);
        if self.warmup_on {
            self.start_warmup(i);
        }
    }

    /// The most popular key that lives on shard `i` now.
    fn hottest_key_on(&self, i: usize) -> u32 {
        (0..self.keyspace.keys.min(u32::MAX as u64) as u32)
            .find(|&k| self.shard_of(k) == i)
            .unwrap_or(0)
    }

    /// A new empty shard joins; the router re-homes the keys that now fall to it.
    fn add_shard(&mut self) {
        let n = self.caches.len() + 1;
        let expected = self.caches.iter().map(|c| c.keys() as f64).sum::<f64>();
        let mut c = CacheNode::new(
            &self.scenario.cache,
            shard_capacity(&self.scenario, expected, n),
        );
        c.policy = self.caches[0].policy;
        c.max_bytes = self.caches[n - 2].max_bytes;
        c.epoch = self.fresh_epoch();
        self.caches.push(c);
        self.snapshots.push(None);
        let replicas = self.new_replicas(n - 1);
        self.replicas.push(replicas);
        self.failover_at.push(None);
        if let Some(st) = &mut self.stream {
            st.resize(n);
        }
        self.router = self.router.resized(n);
    }

    /// The last shard leaves with its keys.
    fn remove_shard(&mut self) {
        let last = self.caches.len() - 1;
        self.stop_warmup(last);
        self.caches.pop();
        self.snapshots.pop();
        self.replicas.pop();
        self.failover_at.pop();
        if let Some(st) = &mut self.stream {
            st.resize(last);
        }
        self.router = self.router.resized(last);
    }

    pub(super) fn set_pods(&mut self, count: usize) {
        let cores = self.scenario.app.cores_per_pod;
        while self.pods.len() < count {
            let mut p = Pod::starting(cores);
            p.active = false;
            self.pods.push(p);
        }
        if let Some(l) = &self.l1_cfg {
            while self.l1.len() < self.pods.len() {
                self.l1
                    .push(L1Cache::new(l.keys as usize, from_ms(l.ttl_ms)));
            }
        }
        for (i, p) in self.pods.iter_mut().enumerate() {
            let active = i < count;
            if p.active && !active {
                // retire: close idle connections now, busy ones when they return
                self.db.disconnect(p.pool_idle());
                p.pool_open -= p.pool_idle();
                p.idle_since.clear();
            }
            if active && !p.active {
                // a started pod: in rotation once the LB's checks pass
                p.up = true;
                p.healthy = false;
                p.health = Default::default();
            }
            p.active = active;
        }
        self.frame.resize_pods(self.pods.len());
    }
}
