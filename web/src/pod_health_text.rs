//! What the explanation says about pods that are down while the LB still
//! routes to them, before its health checks have failed often enough.

use cachesim_core::{PodStatus, Status};

/// What the autoscaler is doing, when it is on and about to act.
pub fn autoscale_note(st: &Status) -> Option<String> {
    let a = &st.autoscale;
    if !a.on {
        return None;
    }
    if let Some(at) = a.scale_out_at_s {
        return Some(format!(
            "Autoscaling: {} pods start in {:.0} s, and take traffic once their health checks pass",
            a.scale_out_to,
            (at - st.now_s).max(0.0)
        ));
    }
    (a.minutes_above > 0).then(|| {
        format!(
            "Autoscaling: {} of {} minutes in a row above {:.0}% CPU",
            a.minutes_above,
            a.minutes,
            a.cpu_threshold * 100.0
        )
    })
}

/// "2 pods are down ..." while at least one down pod is still in rotation.
pub fn pods_down_text(active: &[&PodStatus], threshold: u32) -> Option<String> {
    let routed: Vec<_> = active.iter().filter(|p| !p.up && p.healthy).collect();
    if routed.is_empty() {
        return None;
    }
    let n = routed.len();
    let failed = routed.iter().map(|p| p.failed_checks).max().unwrap_or(0);
    Some(format!(
        "{n} pod{} down: the load balancer still sends {} requests, answered 502, until {threshold} health checks in a row fail ({failed} so far)",
        if n == 1 { " is" } else { "s are" },
        if n == 1 { "it" } else { "them" },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(up: bool, healthy: bool, failed_checks: u32) -> PodStatus {
        PodStatus {
            healthy,
            up,
            failed_checks,
            cpu: 0.0,
            active: true,
            inflight: 0,
            pool_open: 0,
            pool_busy: 0,
            waiting: 0,
        }
    }

    #[test]
    fn names_the_down_pods_the_lb_still_routes_to() {
        let (a, b) = (pod(false, true, 2), pod(true, true, 0));
        let text = pods_down_text(&[&a, &b], 3).unwrap();
        assert!(text.starts_with("1 pod is down"), "{text}");
        assert!(text.contains("(2 so far)"), "{text}");
        // once the LB has taken it out, this is not the story any more
        let c = pod(false, false, 3);
        assert_eq!(pods_down_text(&[&c, &b], 3), None);
    }
}
