//! What must hold with several instances on one database: each test opens
//! several stores (separate pools, as separate processes would have) on one
//! fresh schema and races them.

use std::collections::HashSet;
use std::sync::Arc;

use clubos_domain::policy::TokenUsage;
use clubos_domain::{LocationId, Priority, TokenCaps};
use clubos_store::conformance::{decision, inbound, t};
use clubos_store::{Ingested, Store, StoreError};
use clubos_store_postgres::{PostgresStore, testing};
use jiff::SignedDuration;

/// `n` instances on a fresh schema; `None` when there is no test database.
async fn instances(test: &str, n: usize) -> Option<(String, String, Vec<Arc<PostgresStore>>)> {
    let url = testing::database_url(test)?;
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.unwrap();
    let mut stores = Vec::new();
    for _ in 0..n {
        stores.push(Arc::new(testing::open(&url, &schema, 4).await.unwrap()));
    }
    Some((url, schema, stores))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_share_a_thread() {
    let Some((url, schema, stores)) = instances("concurrent_claimers_never_share_a_thread", 4).await else {
        return;
    };
    let threads = 60u16;
    for i in 0..threads {
        let p = [Priority::Low, Priority::Normal, Priority::High][usize::from(i % 3)];
        stores[0].ingest(inbound(&format!("c{i}"), i, 0, p)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for (w, store) in stores.iter().cycle().take(8).enumerate() {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(c) = store.claim(&format!("w{w}"), t(1), SignedDuration::from_mins(5)).await.unwrap() {
                got.push((c.thread_id, c.priority));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let got = task.await.unwrap();
        // Each worker sees priorities in order (never a lower one before a higher one).
        assert!(got.windows(2).all(|w| w[0].1.rank() <= w[1].1.rank()), "{got:?}");
        all.extend(got.into_iter().map(|(id, _)| id));
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (usize::from(threads), usize::from(threads)), "each thread claimed once");
    testing::drop_schema(&url, &schema).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_pass_the_cap() {
    let Some((url, schema, stores)) = instances("concurrent_reservations_never_pass_the_cap", 3).await else {
        return;
    };
    let here = LocationId::parse("bedford").unwrap();
    let caps = TokenCaps { daily: Some(1000), monthly: Some(5000) };
    let day = jiff::civil::date(2026, 6, 15);
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (store, here) = (Arc::clone(&stores[i % stores.len()]), here.clone());
        tasks.push(tokio::spawn(async move { store.reserve_tokens(&here, day, caps, 30).await.unwrap().is_ok() }));
    }
    let mut granted = 0;
    for task in tasks {
        granted += u64::from(task.await.unwrap());
    }
    assert_eq!(granted, 33, "33 × 30 = 990 fits under 1,000, a 34th would not");
    let usage = stores[0].adjust_tokens(&here, day, 0).await.unwrap();
    assert_eq!(usage, TokenUsage { today: 990, this_month: 990 });
    testing::drop_schema(&url, &schema).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_raced_by_instances_is_stored_once_and_one_customer_gets_one_thread() {
    let test = "a_delivery_raced_by_instances_is_stored_once_and_one_customer_gets_one_thread";
    let Some((url, schema, stores)) = instances(test, 4).await else {
        return;
    };
    // The same delivery, retried by the vendor at several instances at once.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = Arc::clone(&stores[i % stores.len()]);
        tasks.push(tokio::spawn(async move { store.ingest(inbound("dup", 1, 0, Priority::Normal)).await.unwrap() }));
    }
    let mut stored = Vec::new();
    for task in tasks {
        if let Ingested::Stored { thread_id, .. } = task.await.unwrap() {
            stored.push(thread_id);
        }
    }
    assert_eq!(stored.len(), 1, "one delivery stored, the others duplicates");
    assert_eq!(stores[0].thread(stored[0]).await.unwrap().unwrap().messages.len(), 1);

    // Different texts of one new customer at once: one thread, every message in it.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = Arc::clone(&stores[i % stores.len()]);
        tasks.push(tokio::spawn(async move {
            match store.ingest(inbound(&format!("burst{i}"), 2, 0, Priority::Normal)).await.unwrap() {
                Ingested::Stored { thread_id, .. } => thread_id,
                Ingested::Duplicate => panic!("not a duplicate"),
            }
        }));
    }
    let mut threads = HashSet::new();
    for task in tasks {
        threads.insert(task.await.unwrap());
    }
    assert_eq!(threads.len(), 1, "{threads:?}");
    let id = *threads.iter().next().unwrap();
    assert_eq!(stores[1].thread(id).await.unwrap().unwrap().messages.len(), 12);
    assert_eq!(stores[2].queue_depth(t(0)).await.unwrap(), 2, "one queue item per thread");
    testing::drop_schema(&url, &schema).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_deciders_of_one_message_one_wins() {
    let Some((url, schema, stores)) = instances("two_deciders_of_one_message_one_wins", 2).await else {
        return;
    };
    for round in 0..10u16 {
        let Ingested::Stored { thread_id, message_id, .. } =
            stores[0].ingest(inbound(&format!("d{round}"), 100 + round, 0, Priority::Normal)).await.unwrap()
        else {
            panic!("stored")
        };
        let d = decision(thread_id, vec![message_id], Vec::new());
        let (a, b) = (Arc::clone(&stores[0]), Arc::clone(&stores[1]));
        let (da, db) = (d.clone(), d);
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { a.commit_decision(da).await }),
            tokio::spawn(async move { b.commit_decision(db).await })
        );
        let results = [ra.unwrap(), rb.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(StoreError::Conflict(_)))), "{results:?}");
        assert_eq!(stores[0].thread(thread_id).await.unwrap().unwrap().decisions.len(), 1);
    }
    testing::drop_schema(&url, &schema).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_migrate_and_seed_once() {
    let Some(url) = testing::database_url("instances_starting_together_migrate_and_seed_once") else {
        return;
    };
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (url, schema) = (url.clone(), schema.clone());
        tasks.push(tokio::spawn(async move {
            let s = testing::open(&url, &schema, 2).await.unwrap();
            let sops = vec![("faq.hours".to_owned(), serde_json::json!({"id": "faq.hours"}))];
            s.seed_sops(sops, t(0)).await.unwrap()
        }));
    }
    let mut seeded = 0;
    for task in tasks {
        seeded += task.await.unwrap();
    }
    assert_eq!(seeded, 1, "the starter set is seeded by one instance");
    let s = testing::open(&url, &schema, 1).await.unwrap();
    assert_eq!(s.active_sops().await.unwrap().len(), 1);
    testing::drop_schema(&url, &schema).await.unwrap();
}
