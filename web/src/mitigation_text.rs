//! What the mitigations that are on are doing, in words from this second's
//! numbers (for the explanation panel).

use crate::format::per_sec;
use cachesim_core::mitigations::Mitigation;
use cachesim_core::{SecondStats, Status};

/// One phrase per mitigation that is on; empty when none is.
pub fn mitigation_notes(st: &Status, l: &SecondStats) -> Vec<String> {
    st.mitigations
        .iter()
        .map(|m| match m {
            Mitigation::CircuitBreaker if st.breakers_open > 0 => format!(
                "circuit breaker open in {} of {} pods: {} fast degradation errors, missed reads to the DB capped",
                st.breakers_open,
                st.pods.iter().filter(|p| p.active).count(),
                per_sec(l.err_degraded as f64)
            ),
            Mitigation::CircuitBreaker => "circuit breaker on (closed)".into(),
            Mitigation::Rdb => "RDB snapshots on: a restart loads the last one".into(),
            Mitigation::Pgbouncer => format!(
                "PgBouncer: {} server connections to PostgreSQL",
                st.db_connections
            ),
            Mitigation::InvalidationRetry => {
                "lost invalidations are retried with backoff".into()
            }
            Mitigation::HotKeyCache => format!(
                "the hot-key cache answers {} reads in-process",
                per_sec(l.l1_hits as f64)
            ),
            Mitigation::ClientRateLimit if l.err_rate_limited > 0 => format!(
                "the rate limit refuses {} of the attacker's requests (429)",
                per_sec(l.err_rate_limited as f64)
            ),
            Mitigation::ClientRateLimit => "per-client rate limit on".into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::{presets, Simulation};

    fn notes(preset: &str, t: f64) -> String {
        let mut sim = Simulation::new(presets::preset(preset).unwrap()).unwrap();
        sim.advance_to(t);
        let l = sim.history().last().unwrap().clone();
        mitigation_notes(&sim.status(), &l).join("; ")
    }

    #[test]
    fn each_mitigation_says_what_it_does_now() {
        assert!(notes("cache-crash-breaker", 30.0).contains("(closed)"));
        let open = notes("cache-crash-breaker", 65.0);
        assert!(open.contains("open in 2 of 2 pods"), "{open}");
        assert!(notes("key-busting-rate-limit", 40.0).contains("refuses"));
        assert!(notes("hot-key-local-cache", 40.0).contains("in-process"));
        assert_eq!(notes("cache-crash", 65.0), "", "none on");
    }
}
