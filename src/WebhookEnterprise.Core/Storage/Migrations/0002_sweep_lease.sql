-- When the overdue sweep queues a delivery again it leases it until this time: other
-- sweepers, and later sweeps while the job still waits in the stream, leave it alone.
ALTER TABLE deliveries ADD COLUMN sweep_lease_until timestamptz NULL;
