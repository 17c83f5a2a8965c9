//! A circuit breaker around a model provider: after repeated failures the
//! provider is not called for a pause (each call fails at once), then one
//! trial call decides whether it is back.
//!
//! Why: a provider that is down makes every unsure message wait the whole
//! `llm_timeout` before it reaches a human. With the breaker open those
//! messages go to a human at once, and the provider is asked again only
//! once per pause. Only the provider's failures count (timeouts, refusals,
//! unreachable); an answer outside the contract means the provider is up.
//! A call dropped before it finished (the worker's own timeout) counts as a
//! failure too.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};

/// Consecutive failures that open the breaker.
pub const OPEN_AFTER: u32 = 3;
/// How long an open breaker refuses calls before one trial.
pub const PAUSE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One trial call is in flight; others are refused.
    Trial,
}

/// `inner` behind a breaker.
#[derive(Debug)]
pub struct Breaker<M> {
    inner: M,
    state: Mutex<State>,
    open_after: u32,
    pause: Duration,
}

impl<M> Breaker<M> {
    pub fn new(inner: M) -> Self {
        Self::with(inner, OPEN_AFTER, PAUSE)
    }

    pub fn with(inner: M, open_after: u32, pause: Duration) -> Self {
        Self { inner, state: Mutex::new(State::Closed { failures: 0 }), open_after: open_after.max(1), pause }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a call go out now? Moves an expired open breaker to its trial.
    fn admit(&self) -> Result<(), Duration> {
        let mut s = self.lock();
        match *s {
            State::Closed { .. } => Ok(()),
            State::Open { until } if Instant::now() >= until => {
                *s = State::Trial;
                Ok(())
            }
            State::Open { until } => Err(until.saturating_duration_since(Instant::now())),
            State::Trial => Err(Duration::ZERO),
        }
    }

    fn record(&self, ok: bool) {
        let mut s = self.lock();
        *s = match (*s, ok) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.open_after => {
                State::Closed { failures: failures + 1 }
            }
            (_, false) => State::Open { until: Instant::now() + self.pause },
        };
    }
}

/// Counts a call as failed unless it is marked finished (so a call whose
/// future is dropped mid-way is a failure).
struct Outcome<'a, M> {
    breaker: &'a Breaker<M>,
    ok: Option<bool>,
}

impl<M> Drop for Outcome<'_, M> {
    fn drop(&mut self) {
        self.breaker.record(self.ok.unwrap_or(false));
    }
}

#[async_trait]
impl<M: Classifier> Classifier for Breaker<M> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn classify(&self, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        if let Err(wait) = self.admit() {
            return Err(ClassifyError::Provider(format!(
                "{} is failing; not called for another {} s (circuit open)",
                self.inner.name(),
                wait.as_secs()
            )));
        }
        let mut outcome = Outcome { breaker: self, ok: None };
        let result = self.inner.classify(req).await;
        outcome.ok = Some(!matches!(result, Err(ClassifyError::Timeout | ClassifyError::Provider(_))));
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use clubos_domain::{Classification, Confidence, LocationId, Proposal};

    use super::*;

    /// Fails (or hangs) while `failing` is set; counts calls.
    #[derive(Debug, Default)]
    struct Flaky {
        calls: AtomicU32,
        failing: std::sync::atomic::AtomicBool,
        hang: bool,
    }

    #[async_trait]
    impl Classifier for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }
        async fn classify(&self, _: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.failing.load(Ordering::SeqCst) {
                if self.hang {
                    std::future::pending::<()>().await;
                }
                return Err(ClassifyError::Provider("503: overloaded".into()));
            }
            Ok(ClassifierOutput {
                classification: Classification {
                    category: None,
                    sub_intent: None,
                    confidence: Confidence::ONE,
                    proposal: Proposal::None,
                    reply: None,
                    matched_sop: None,
                },
                model: "flaky".into(),
                tokens_in: 1,
                tokens_out: 1,
                cached: false,
            })
        }
    }

    async fn call(b: &Breaker<Flaky>) -> Result<ClassifierOutput, ClassifyError> {
        let loc = LocationId::parse("bedford").unwrap();
        b.classify(&ClassifyRequest { text: "hi", location: &loc, booked_bay: None }).await
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_repeated_failures_and_a_trial_closes_it() {
        let b = Breaker::with(Flaky::default(), 3, Duration::from_secs(30));
        b.inner.failing.store(true, Ordering::SeqCst);
        for _ in 0..3 {
            assert!(call(&b).await.is_err());
        }
        assert_eq!(b.inner.calls.load(Ordering::SeqCst), 3);
        let refused = call(&b).await.unwrap_err().to_string();
        assert!(refused.contains("circuit open"), "{refused}");
        assert_eq!(b.inner.calls.load(Ordering::SeqCst), 3, "not called while open");

        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(call(&b).await.is_err(), "the trial fails");
        assert_eq!(b.inner.calls.load(Ordering::SeqCst), 4);
        assert!(call(&b).await.unwrap_err().to_string().contains("circuit open"), "open again");

        tokio::time::advance(Duration::from_secs(31)).await;
        b.inner.failing.store(false, Ordering::SeqCst);
        assert!(call(&b).await.is_ok(), "the trial succeeds");
        assert!(call(&b).await.is_ok(), "closed");
        assert_eq!(b.inner.calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count_and_dropped_calls_count_as_failures() {
        let b = Breaker::with(Flaky { hang: true, ..Flaky::default() }, 2, Duration::from_secs(30));
        b.inner.failing.store(true, Ordering::SeqCst);
        // Two calls abandoned by the caller's timeout open it.
        for _ in 0..2 {
            assert!(tokio::time::timeout(Duration::from_secs(1), call(&b)).await.is_err());
        }
        assert!(call(&b).await.unwrap_err().to_string().contains("circuit open"));

        let c = Breaker::with(Flaky::default(), 2, Duration::from_secs(30));
        c.inner.failing.store(true, Ordering::SeqCst);
        assert!(call(&c).await.is_err());
        c.inner.failing.store(false, Ordering::SeqCst);
        assert!(call(&c).await.is_ok());
        c.inner.failing.store(true, Ordering::SeqCst);
        assert!(call(&c).await.is_err());
        assert!(!call(&c).await.unwrap_err().to_string().contains("circuit open"), "the success reset the count");
    }
}
