-- Named leases: the action guard (`actions:<location>`) and leadership of
-- fleet-wide background work (`scheduler`, `notifier`, `review`). Tiny and
-- hot: updated in place, so keep its pages free for HOT updates.
CREATE TABLE leases (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL
) WITH (fillfactor = 50);
