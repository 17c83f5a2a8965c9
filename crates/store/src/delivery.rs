//! Delivering notifications outside the app: which channel, and when a
//! notification is due on it.

/// A way a notification leaves ClubOS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The team's Slack channel: every notification, delivered once.
    Slack,
    /// A text to the on-call operator: critical notifications only, again
    /// and again until someone acknowledges them.
    OnCall,
}

/// What a delivery attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing more on this channel.
    Done,
    /// Due again at this time (a retry, or the on-call repeat).
    At(jiff::Timestamp),
}
