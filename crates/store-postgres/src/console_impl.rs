//! The console's parts of the store on PostgreSQL: [`AccountStore`] and
//! [`ConsoleStore`], each method one transaction.

use async_trait::async_trait;
use clubos_domain::{Email, LocationId, Role};
use clubos_store::{
    Account, AccountStore, ConsoleStore, DecisionStat, InboxFilter, InboxRow, NewAccount, NewProposalReview,
    NewSession, ProposalReviewRow, Result, SessionRow,
};
use jiff::Timestamp;

use crate::{PostgresStore, accounts, console, error};

#[async_trait]
impl AccountStore for PostgresStore {
    async fn create_account(&self, a: NewAccount, at: Timestamp) -> Result<i64> {
        in_tx!(self, |tx| accounts::create(&tx, &a, at))
    }
    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>> {
        in_tx!(self, |tx| accounts::by_email(&tx, email.as_str()))
    }
    async fn accounts(&self) -> Result<Vec<Account>> {
        in_tx!(self, |tx| accounts::all(&tx))
    }
    async fn account_count(&self) -> Result<u64> {
        in_tx!(self, |tx| accounts::count(&tx))
    }
    async fn set_password(&self, account_id: i64, hash: &str, must_change: bool, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| accounts::set_password(&tx, account_id, hash, must_change, at))
    }
    async fn update_account(&self, id: i64, role: Role, locations: Vec<LocationId>, disabled: bool) -> Result<()> {
        in_tx!(self, |tx| accounts::update(&tx, id, role, &locations, disabled))
    }
    async fn create_session(&self, s: NewSession) -> Result<()> {
        in_tx!(self, |tx| accounts::create_session(&tx, &s))
    }
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        in_tx!(self, |tx| accounts::session(&tx, token_hash))
    }
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| accounts::touch(&tx, token_hash, at))
    }
    async fn end_session(&self, token_hash: &str) -> Result<()> {
        in_tx!(self, |tx| accounts::end(&tx, token_hash))
    }
    async fn end_sessions_of(&self, account_id: i64) -> Result<u64> {
        in_tx!(self, |tx| accounts::end_of(&tx, account_id))
    }
    async fn prune_sessions(&self, idle_before: Timestamp) -> Result<u64> {
        in_tx!(self, |tx| accounts::prune(&tx, idle_before))
    }
    async fn record_login_failure(&self, key: &str, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| accounts::failure(&tx, key, at))
    }
    async fn login_failures(&self, key: &str, since: Timestamp) -> Result<Vec<Timestamp>> {
        in_tx!(self, |tx| accounts::failures(&tx, key, since))
    }
    async fn clear_login_failures(&self, key: Option<&str>, before: Option<Timestamp>) -> Result<u64> {
        in_tx!(self, |tx| accounts::clear(&tx, key, before))
    }
}

#[async_trait]
impl ConsoleStore for PostgresStore {
    async fn inbox(&self, filter: InboxFilter) -> Result<Vec<InboxRow>> {
        in_tx!(self, |tx| console::inbox(&tx, &filter))
    }
    async fn record_proposal_review(&self, r: NewProposalReview) -> Result<bool> {
        in_tx!(self, |tx| console::record_review(&tx, &r))
    }
    async fn proposal_reviews(&self, since: Timestamp) -> Result<Vec<ProposalReviewRow>> {
        in_tx!(self, |tx| console::reviews(&tx, since))
    }
    async fn decision_stats(&self, since: Timestamp, bucket_secs: u32) -> Result<Vec<DecisionStat>> {
        in_tx!(self, |tx| console::stats(&tx, since, bucket_secs))
    }
}
