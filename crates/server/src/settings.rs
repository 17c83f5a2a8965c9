//! Changing the live autonomy profile (API and console): validated by the
//! domain's parser, stored, audited with before and after, and swapped in
//! for the next decision. Only an admin's grant may call it.

use clubos_domain::AutonomyProfile;
use clubos_store::StoreError;
use serde_json::{Value, json};

use crate::app::App;
use crate::auth::{Administer, Grant};

/// Settings key under which the profile is stored.
pub const AUTONOMY_SETTING: &str = "autonomy_profile";

/// Replaces the profile; returns it as stored (the seed's JSON).
pub async fn set_autonomy(
    app: &App,
    grant: &Grant<Administer>,
    profile: AutonomyProfile,
    note: Option<&str>,
) -> Result<Value, StoreError> {
    let now = app.clock.now();
    let before = app.profile().to_json();
    let after = profile.to_json();
    app.store.put_setting(AUTONOMY_SETTING, &after.to_string(), now).await?;
    let detail = json!({"before": before, "after": after, "note": note});
    app.store.audit(grant.name(), "autonomy.update", "autonomy", detail, now).await?;
    app.set_profile(profile);
    Ok(after)
}
