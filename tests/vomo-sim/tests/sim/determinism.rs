//! The generator is deterministic: the same seed gives the same data and tokens.

use vomo_sim::{SimConfig, Simulator};

use super::support::{Harness, start_with};

async fn seeded(seed: u64) -> Harness {
    start_with(SimConfig { seed, rate_limit: None, ..SimConfig::default() }).await
}

#[tokio::test]
async fn same_seed_gives_same_tokens_and_same_pages() {
    let (a, b) = (seeded(7).await, seeded(7).await);
    assert_eq!(a.sim.customers(), b.sim.customers());
    for path in ["/users?page=2", "/projects", "/groups", "/forms/1/completions", "/campaigns"] {
        let (x, y) = (a.get(1, path).await.body, b.get(1, path).await.body);
        assert_eq!(x["data"], y["data"], "{path}");
    }
}

#[tokio::test]
async fn different_seeds_give_different_data() {
    let (a, b) = (seeded(7).await, seeded(8).await);
    assert_ne!(a.token(1), b.token(1));
    let (x, y) = (a.get(1, "/users").await.body, b.get(1, "/users").await.body);
    assert_ne!(x["data"], y["data"]);
}

#[tokio::test]
async fn tokens_are_forty_hex_characters() {
    let sim = Simulator::start(SimConfig::default()).await.expect("starts");
    let customers = sim.customers();
    assert_eq!(customers.len(), 6, "three customers with one child each");
    for customer in customers {
        assert_eq!(customer.token.len(), 40);
        assert!(customer.token.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
