//! The token budget a paid model call must fit in: reserved before the call
//! from an estimate, settled with the provider's usage after. The server
//! implements it on the store (per location, daily and monthly caps).

use async_trait::async_trait;
use clubos_domain::LocationId;

/// Why a call may not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

#[async_trait]
pub trait TokenBudget: Send + Sync + std::fmt::Debug {
    /// Holds `estimate` tokens for a call at `location`, or refuses (a cap
    /// would be passed, or the usage could not be read).
    async fn reserve(&self, location: &LocationId, estimate: u32) -> Result<(), Refused>;
    /// The call is over: it used `used` of the `estimate` reserved.
    async fn settle(&self, location: &LocationId, estimate: u32, used: u32);
}

/// A generous estimate of a call's tokens: the prompt (about four characters
/// a token) plus everything the model may write.
pub fn estimate(prompt_chars: usize, max_output: u32) -> u32 {
    u32::try_from(prompt_chars / 3 + 64).unwrap_or(u32::MAX).saturating_add(max_output)
}

/// Which categories go to the cheap model (the autonomy profile's
/// `use_cheaper_model`, read at the time of each call).
pub trait CheapChoice: Send + Sync + std::fmt::Debug {
    fn use_cheaper(&self, category: clubos_domain::Category) -> bool;
}
