-- Answered session requests are deleted a keyset period after they were answered (by the offline clock; no
-- retry or replay needs them then: `OfflineMint::forget_session_requests`, run every minute), found by time.
CREATE INDEX offline_session_requests_created ON offline_session_requests (created_at);
