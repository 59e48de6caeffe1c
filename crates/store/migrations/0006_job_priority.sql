-- Urgent jobs first (issue 5): under a flood of new reports the job queue fills with service-desk
-- notices; on-call alerts, escalations and breach-deadline warnings must not wait behind them.
-- `priority` is 1 for urgent jobs, 0 for the bulk; the partial index holds only the few urgent
-- pending jobs, so the runner's first look is cheap however long the queue is.
ALTER TABLE jobs ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0;
UPDATE jobs SET priority = 1 WHERE kind <> 'notify_service_desk' AND kind <> 'purge_finished_jobs';
CREATE INDEX jobs_urgent ON jobs (run_at) WHERE status = 'pending' AND priority > 0;
