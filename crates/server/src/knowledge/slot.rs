//! The classifier in force, replaced as a whole when the active SOPs change
//! (an approval, a rollback, an archive), so the next message is classified
//! against the knowledge base as approved — and the answer cache, keyed by
//! the SOP set's version, never serves an answer from the old set.

use std::sync::{Arc, RwLock};

use clubos_agent::Classifier;
use clubos_agent::sop::Sop;

/// Builds the classifier tier for a set of active SOPs.
pub type Rebuild = Box<dyn Fn(Vec<Sop>) -> Result<Arc<dyn Classifier>, String> + Send + Sync>;

pub struct ClassifierSlot {
    current: RwLock<Arc<dyn Classifier>>,
    /// `None` when the classifier was supplied from outside (tests): it is
    /// then kept as it is.
    rebuild: Option<Rebuild>,
}

impl std::fmt::Debug for ClassifierSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassifierSlot").field("current", &self.get().name()).finish_non_exhaustive()
    }
}

impl ClassifierSlot {
    pub fn new(current: Arc<dyn Classifier>, rebuild: Option<Rebuild>) -> Self {
        Self { current: RwLock::new(current), rebuild }
    }

    /// The classifier to use for one message.
    pub fn get(&self) -> Arc<dyn Classifier> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Rebuilds from `sops`; the old classifier stays in force on error.
    pub fn reload(&self, sops: Vec<Sop>) -> Result<(), String> {
        let Some(rebuild) = &self.rebuild else {
            return Ok(());
        };
        let next = rebuild(sops)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(())
    }
}
