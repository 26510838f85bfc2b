//! Commands (faults and live changes) applied to the running system.

use super::*;

impl Simulation {
    pub(super) fn set_source_rate(&mut self, src: Source, rate: f64) {
        self.rates[src as usize] = rate;
        // arrivals are memoryless: restarting the stream keeps it Poisson
        self.schedule_arrival(src);
        self.update_trace_every();
    }

    pub(super) fn execute(&mut self, cmd: Command) {
        let now = self.now;
        match cmd {
            Command::CrashCache => {
                if self.cache.up {
                    self.cache.crash();
                }
            }
            Command::RestartCache => self.cache.restart(now),
            Command::HotKey { rate, value_kb } => {
                let per_kb = self.scenario.cache.per_kb_us * 1_000.0;
                self.hot_extra = if rate > 0.0 {
                    (per_kb * (value_kb - 1.0)) as Nanos
                } else {
                    0
                };
                self.set_source_rate(Source::HotKey, rate)
            }
            Command::KeyBusting { rate } => self.set_source_rate(Source::Attack, rate),
            Command::SetRps { rps } => self.set_source_rate(Source::Main, rps),
            Command::InvalidationFailure { probability } => self.invalidation_failure = probability,
            Command::SetMemory { gb } => self.cache.set_memory_gb(gb),
            Command::SetEviction { policy } => self.cache.policy = policy,
            Command::FillMemory { fraction } => {
                if self.cache.up {
                    self.cache.fill(fraction);
                }
            }
            Command::ClearFill => self.cache.clear_fill(),
            Command::DbSlowdown { factor } => self.db.slowdown = factor,
            Command::PodsUnhealthy { count } => {
                for (i, p) in self.pods.iter_mut().enumerate() {
                    p.healthy = (i as u32) >= count;
                }
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
        }
    }

    pub(super) fn set_pods(&mut self, count: usize) {
        while self.pods.len() < count {
            self.pods.push(Pod::new());
        }
        for (i, p) in self.pods.iter_mut().enumerate() {
            let active = i < count;
            if p.active && !active {
                // retire: close idle connections now, busy ones when they return
                self.db.disconnect(p.pool_idle);
                p.pool_open -= p.pool_idle;
                p.pool_idle = 0;
            }
            if active && !p.active {
                p.healthy = true;
            }
            p.active = active;
        }
        self.frame.per_pod.resize(self.pods.len(), 0);
    }
}
