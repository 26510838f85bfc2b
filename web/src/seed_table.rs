//! The seed's own table of its three designs (what it claims each can do,
//! costs and keeps up), shown beside what the model measures, and the bill
//! line of the page: the running design's $/month (the core's cost model,
//! `Status.cost`) with the seed's figure for that design beside it.

use crate::format::compact;
use cachesim_core::Status;

/// The seed's table (its claims, kept in the core beside the comparison).
pub use cachesim_core::compare::{availability_text as availability, seed_row, SeedRow, SEED};

/// Whole dollars with thousands separators: $1,255.
pub fn usd(x: f64) -> String {
    format!(
        "${}",
        cachesim_core::compare::thousands(x.round().max(0.0) as u64)
    )
}

/// The seed's claim for a row, as one phrase.
pub fn claim(r: &SeedRow) -> String {
    format!(
        "{} ops/s, {}/month, {}",
        compact(r.ops_per_s),
        usd(r.monthly_usd),
        availability(r.availability)
    )
}

/// The page's bill line: what runs now costs per month, its biggest items,
/// and the seed's figure for the same design.
pub fn bill_text(st: &Status) -> String {
    let (design, _) = cachesim_core::summary::describe(st);
    let items: Vec<String> = st
        .cost
        .lines
        .iter()
        .filter(|l| l.monthly_usd > 0.0)
        .map(|l| {
            let count = if (l.count - l.count.round()).abs() < 1e-9 {
                format!("{}", l.count.round())
            } else {
                format!("{:.1}", l.count)
            };
            format!("{} x{count} {}", l.component, usd(l.monthly_usd))
        })
        .collect();
    let seed = match seed_row(&design) {
        Some(r) => format!(" · the seed's {design}: {}", claim(r)),
        None => format!(
            " · a custom design (the seed prices V0 {}, V1 {}, V2 {})",
            usd(SEED[0].monthly_usd),
            usd(SEED[1].monthly_usd),
            usd(SEED[2].monthly_usd)
        ),
    };
    format!(
        "Bill: {}/month ({}){seed}",
        usd(st.cost.monthly_usd),
        items.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::{presets, Command, Simulation};

    #[test]
    fn formats() {
        assert_eq!(usd(695.0), "$695");
        assert_eq!(usd(1_255.4), "$1,255");
        assert_eq!(usd(1_234_567.0), "$1,234,567");
        assert_eq!(availability(0.99), "99%");
        assert_eq!(availability(0.995), "99.5%");
        assert_eq!(availability(0.9999), "99.99%");
        assert_eq!(claim(&SEED[2]), "500K ops/s, $4,500/month, 99.99%");
    }

    #[test]
    fn the_bill_follows_what_runs() {
        let mut sim = Simulation::new(presets::preset("steady").unwrap()).unwrap();
        let v0 = bill_text(&sim.status());
        // the model's V0 bill is the seed's own total
        assert!(v0.starts_with("Bill: $695/month"), "{v0}");
        assert!(
            v0.contains("the seed's V0: 10K ops/s, $695/month, 99%"),
            "{v0}"
        );
        sim.apply(Command::AddShard).unwrap();
        let two = bill_text(&sim.status());
        assert!(
            two.starts_with("Bill: $870/month"),
            "a shard adds a node: {two}"
        );
        assert!(two.contains("custom design"), "{two}");
        sim.apply(Command::SetPods { count: 4 }).unwrap();
        assert!(bill_text(&sim.status()).starts_with("Bill: $1,010/month"));
        let v2 = Simulation::new(presets::preset("v2-steady").unwrap()).unwrap();
        let t = bill_text(&v2.status());
        assert!(t.contains(&format!(
            "Bill: {}/month",
            usd(v2.status().cost.monthly_usd)
        )));
        assert!(t.contains("Redis nodes x6"), "{t}");
        assert!(
            t.contains("the seed's V2: 500K ops/s, $4,500/month, 99.99%"),
            "{t}"
        );
    }
}
