//! The token budget on the store: each location's daily and monthly caps,
//! counted on its local calendar, with operator alerts at 80 % and 95 %.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use clubos_agent::llm::{Refused, TokenBudget};
use clubos_config::Config;
use clubos_domain::policy::{Budget, TokenUsage};
use clubos_domain::{LocationId, TokenCaps};
use clubos_store::{NewNotification, Severity, Store};
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::clock::Clock;

#[derive(Debug)]
pub struct StoreBudget {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    locations: HashMap<LocationId, (TokenCaps, TimeZone)>,
}

impl StoreBudget {
    pub fn new(config: &Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let locations = config.locations.iter().map(|l| (l.id.clone(), (l.token_caps, l.timezone.clone()))).collect();
        Self { store, clock, locations }
    }

    fn today(&self, location: &LocationId) -> (TokenCaps, Date) {
        let (caps, tz) = self.locations.get(location).cloned().unwrap_or((TokenCaps::default(), TimeZone::UTC));
        (caps, self.clock.now().to_zoned(tz).date())
    }

    /// Raises the 80 % and 95 % alerts once per location, period and day/month.
    async fn alert(&self, location: &LocationId, day: Date, caps: TokenCaps, used: TokenUsage) {
        let periods = [
            ("daily", caps.daily, used.today, day.to_string()),
            ("monthly", caps.monthly, used.this_month, day.strftime("%Y-%m").to_string()),
        ];
        for (period, cap, used, when) in periods {
            let Some(cap) = cap.filter(|&c| c > 0) else { continue };
            let pct = used.saturating_mul(100) / cap;
            let Some((level, severity)) =
                [(95, Severity::Critical), (80, Severity::Warning)].into_iter().find(|(l, _)| pct >= *l)
            else {
                continue;
            };
            let n = NewNotification {
                kind: "token_budget".into(),
                severity,
                thread_id: None,
                title: format!("{location}: {level}% of the {period} LLM token cap used"),
                body: format!(
                    "{used} of {cap} tokens ({period}, {when}). At the cap only the local classifier runs; \
                     what needs the model goes to a human (token_cap)."
                ),
                dedupe_key: Some(format!("tokens:{location}:{period}:{when}:{level}")),
            };
            if let Err(e) = self.store.notify(n, self.clock.now()).await {
                tracing::warn!(error = %e, "could not raise the token alert");
            }
        }
    }
}

#[async_trait]
impl TokenBudget for StoreBudget {
    async fn reserve(&self, location: &LocationId, estimate: u32) -> Result<(), Refused> {
        let (caps, day) = self.today(location);
        match self.store.reserve_tokens(location, day, caps, u64::from(estimate)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(Budget::Exhausted { period, used, cap })) => {
                let period =
                    serde_json::to_value(period).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                Err(Refused(format!("the {period} cap of {cap} tokens is reached ({used} used, {estimate} needed)")))
            }
            Ok(Err(Budget::Allow)) => Ok(()),
            // Unknown usage is treated as no budget: no paid call.
            Err(e) => Err(Refused(format!("token usage unavailable: {e}"))),
        }
    }

    async fn settle(&self, location: &LocationId, estimate: u32, used: u32) {
        let (caps, day) = self.today(location);
        match self.store.adjust_tokens(location, day, i64::from(used) - i64::from(estimate)).await {
            Ok(usage) => self.alert(location, day, caps, usage).await,
            Err(e) => tracing::warn!(error = %e, "could not settle a token reservation; it stays counted"),
        }
    }
}
