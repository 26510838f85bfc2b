//! Share links that cannot break the page: any query string, and any
//! mutation of a real share link (every preset's), parses to a state the
//! core accepts, with a notice for what was refused; never a panic.
#![cfg(not(target_arch = "wasm32"))]

use cachesim_core::presets;
use cachesim_web::codec::{base64url_encode, parse_query, share_query};
use proptest::prelude::*;
use serde_json::Value;

fn preset_query(i: usize) -> String {
    let p = &presets::PRESETS[i % presets::PRESETS.len()];
    share_query(&presets::preset(p.name).unwrap())
}

/// How many leaves a JSON value has.
fn leaf_count(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(leaf_count).sum(),
        Value::Array(a) => a.iter().map(leaf_count).sum(),
        _ => 1,
    }
}

fn any_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![Just(1e300), Just(-1.0), Just(0.0), -1e9..1e9f64].prop_map(Value::from),
        "[<>a-z\"'&; ]{0,16}".prop_map(Value::String),
    ]
}

fn check(query: &str) -> Result<(), TestCaseError> {
    let parsed = parse_query(query);
    // whatever came in, the state is one the core runs
    prop_assert!(parsed.state.scenario.validate().is_ok());
    for p in &parsed.problems {
        prop_assert!(!p.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_query_string_parses_to_a_runnable_state(q in "[?&=a-z0-9%._~+-]{0,200}") {
        check(&q)?;
    }

    #[test]
    fn a_share_link_with_its_scenario_mutated_is_run_or_refused_with_a_notice(
        i in 0usize..64,
        pick in any::<prop::sample::Index>(),
        new in any_leaf(),
    ) {
        let q = preset_query(i);
        let encoded = q.trim_start_matches("?s=").split('&').next().unwrap().to_string();
        let json = cachesim_web::codec::base64url_decode(&encoded).unwrap();
        let mut v: Value = serde_json::from_slice(&json).unwrap();
        let index = pick.index(leaf_count(&v));
        let mut n = 0;
        set_nth_leaf(&mut v, index, &mut n, new);
        let mutated = format!("?s={}", base64url_encode(v.to_string().as_bytes()));
        let parsed = parse_query(&mutated);
        prop_assert!(parsed.state.scenario.validate().is_ok());
        // a scenario the core refuses is refused with a notice naming the field
        if let Err(e) = cachesim_core::Scenario::from_json(&v.to_string()) {
            prop_assert!(
                parsed.problems.iter().any(|p| e.field.is_empty() || p.contains(&e.field)),
                "{e} not named in {:?}", parsed.problems
            );
        }
        if parsed.problems.is_empty() {
            // accepted as it is: the link's scenario is the one running
            prop_assert!(serde_json::to_value(&parsed.state.scenario).is_ok());
        }
    }

    #[test]
    fn a_share_link_cut_or_garbled_is_refused_with_a_notice(i in 0usize..64, cut in 0usize..400, junk in "[A-Za-z0-9_-]{0,8}") {
        let q = preset_query(i);
        let end = cut.min(q.len());
        check(&format!("{}{junk}", &q[..end]))?;
    }
}

fn set_nth_leaf(v: &mut Value, index: usize, n: &mut usize, new: Value) -> bool {
    match v {
        Value::Object(m) => m
            .values_mut()
            .any(|x| set_nth_leaf(x, index, n, new.clone())),
        Value::Array(a) => a.iter_mut().any(|x| set_nth_leaf(x, index, n, new.clone())),
        leaf => {
            if *n == index {
                *leaf = new;
                return true;
            }
            *n += 1;
            false
        }
    }
}
