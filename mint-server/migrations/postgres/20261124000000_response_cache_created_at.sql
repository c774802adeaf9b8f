-- NUT-19 TTL: expired cached responses are deleted by age.
CREATE INDEX response_cache_created ON response_cache (created_at);
