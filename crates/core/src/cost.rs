//! What a design costs per month: a price table (in the scenario, so a user
//! can put in their own prices) applied to the components that run.
//!
//! Defaults are the seed's own figures where it gives them (Redis
//! cache.r7g.xlarge ~$175, PostgreSQL db.r7g.xlarge ~$350, a Fargate pod
//! ~$70, the ALB ~$30: its V0 total of $695/month) and otherwise on-demand
//! prices of the same family:
//!
//! * a replica is another cache.r7g.xlarge node, at the seed's node price;
//! * the CacheProxyService runs as 3 Fargate tasks at the seed's pod price
//!   (a proxy tier is deployed redundantly, like Twemproxy/Envoy fleets);
//! * the invalidation stream is Amazon MSK with 3 kafka.m5.large brokers
//!   ($0.21/h each on demand in us-east-1, ~$153/month; storage not counted);
//! * the DB's price scales with its workers: one db.r7g.xlarge per 24
//!   workers (instance sizes in the family double price with vCPUs);
//! * L1 is memory inside the pods: no extra charge.
//!
//! Not counted: ALB LCU charges (at 500K requests/s they would exceed the
//! ALB's base price several times), data transfer, storage, support.

use serde::{Deserialize, Serialize};

/// Monthly prices, USD.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostConfig {
    /// One Redis node (a shard's primary or a replica).
    pub redis_node: f64,
    /// The DB, per `db_workers_per_instance` workers.
    pub db_instance: f64,
    pub db_workers_per_instance: u32,
    /// One AppService pod.
    pub pod: f64,
    pub lb: f64,
    /// One CacheProxyService task, and how many run.
    pub proxy_task: f64,
    pub proxy_tasks: u32,
    /// One stream broker, and how many run.
    pub stream_broker: f64,
    pub stream_brokers: u32,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            redis_node: 175.0,
            db_instance: 350.0,
            db_workers_per_instance: 24,
            pod: 70.0,
            lb: 30.0,
            proxy_task: 70.0,
            proxy_tasks: 3,
            stream_broker: 153.0,
            stream_brokers: 3,
        }
    }
}

/// The components that run, as the cost model counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Footprint {
    pub redis_nodes: u32,
    pub pods: u32,
    pub proxy: bool,
    pub stream: bool,
    pub db_workers: u32,
}

/// One line of the bill.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    pub component: &'static str,
    pub count: f64,
    pub unit_usd: f64,
    pub monthly_usd: f64,
}

/// The bill for a footprint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bill {
    pub lines: Vec<CostLine>,
    pub monthly_usd: f64,
}

impl CostConfig {
    pub fn bill(&self, f: &Footprint) -> Bill {
        let db_count = f.db_workers as f64 / self.db_workers_per_instance.max(1) as f64;
        let mut lines = vec![
            line("Redis nodes", f.redis_nodes as f64, self.redis_node),
            line("PostgreSQL", db_count, self.db_instance),
            line("AppService pods", f.pods as f64, self.pod),
            line("ALB", 1.0, self.lb),
        ];
        if f.proxy {
            lines.push(line(
                "CacheProxy tasks",
                self.proxy_tasks as f64,
                self.proxy_task,
            ));
        }
        if f.stream {
            lines.push(line(
                "stream brokers",
                self.stream_brokers as f64,
                self.stream_broker,
            ));
        }
        let monthly_usd = lines.iter().map(|l| l.monthly_usd).sum();
        Bill { lines, monthly_usd }
    }

    pub fn validate(&self) -> Result<(), crate::scenario::ConfigError> {
        use crate::scenario::{check_int, check_range};
        for (field, v) in [
            ("cost.redis_node", self.redis_node),
            ("cost.db_instance", self.db_instance),
            ("cost.pod", self.pod),
            ("cost.lb", self.lb),
            ("cost.proxy_task", self.proxy_task),
            ("cost.stream_broker", self.stream_broker),
        ] {
            check_range(field, v, 0.0, 1e9)?;
        }
        for (field, v) in [
            ("cost.db_workers_per_instance", self.db_workers_per_instance),
            ("cost.proxy_tasks", self.proxy_tasks),
            ("cost.stream_brokers", self.stream_brokers),
        ] {
            check_int(field, v as u64, 1, 1_000)?;
        }
        Ok(())
    }
}

fn line(component: &'static str, count: f64, unit_usd: f64) -> CostLine {
    CostLine {
        component,
        count,
        unit_usd,
        monthly_usd: count * unit_usd,
    }
}

/// Seconds in an average month (365.25 / 12 days).
pub const SECONDS_PER_MONTH: f64 = 2_629_800.0;

impl Bill {
    /// USD per 1,000 requests served, if the design serves `rps` all month.
    pub fn per_1k_requests(&self, rps: f64) -> f64 {
        if rps <= 0.0 {
            return 0.0;
        }
        self.monthly_usd / (rps * SECONDS_PER_MONTH / 1_000.0)
    }

    /// The seed's "$ per 1K ops" figure: monthly cost per request/s of
    /// throughput ($695 / 10K ops/s = $0.069).
    pub fn per_ops_capacity(&self, ops_per_s: f64) -> f64 {
        if ops_per_s <= 0.0 {
            return 0.0;
        }
        self.monthly_usd / ops_per_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_v0_bill() {
        let v0 = Footprint {
            redis_nodes: 1,
            pods: 2,
            proxy: false,
            stream: false,
            db_workers: 24,
        };
        let bill = CostConfig::default().bill(&v0);
        assert_eq!(bill.monthly_usd, 695.0);
        assert!((bill.per_ops_capacity(10_000.0) - 0.0695).abs() < 1e-9);
    }
}
