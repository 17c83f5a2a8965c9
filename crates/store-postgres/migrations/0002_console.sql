-- Console accounts, sessions (stored by the hash of their token), login
-- failures, operators' answers to proposals, and decisions by time.
CREATE TABLE accounts (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                 text NOT NULL CONSTRAINT accounts_email_unique UNIQUE,
    role                  text NOT NULL CONSTRAINT accounts_role_known CHECK (role IN ('admin', 'operator', 'viewer')),
    locations             text[] NOT NULL DEFAULT '{}',
    password_hash         text NOT NULL,
    must_change_password  boolean NOT NULL,
    disabled              boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL,
    password_changed_at   timestamptz NOT NULL
);
CREATE TABLE sessions (
    token_hash    text PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
CREATE TABLE login_failures (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key  text NOT NULL,
    at   timestamptz NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
CREATE TABLE proposal_reviews (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id  bigint NOT NULL CONSTRAINT proposal_reviews_once UNIQUE REFERENCES decisions (id),
    thread_id    bigint NOT NULL,
    location     text NOT NULL,
    category     text NOT NULL CONSTRAINT proposal_reviews_category_known CHECK (category IN ('tech', 'booking', 'access', 'faq')),
    confidence   double precision NOT NULL,
    shadow       boolean NOT NULL,
    verdict      text NOT NULL CONSTRAINT proposal_reviews_verdict_known CHECK (verdict IN ('approved', 'edited', 'rejected')),
    actor        text NOT NULL,
    at           timestamptz NOT NULL
);
CREATE INDEX proposal_reviews_by_at ON proposal_reviews (at);
CREATE INDEX decisions_by_at ON decisions (at);
