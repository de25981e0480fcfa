-- The W3C trace context (traceparent) of the request that brought each message in. A job
-- carries its own context through the stream, but a retry, moved there by a script, does
-- not, and a resend starts a trace of its own: attempts find the message's trace here, to
-- continue it or to link to it. Null for messages stored before it was kept, or untraced.
ALTER TABLE messages ADD COLUMN trace_parent text NULL;
