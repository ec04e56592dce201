-- Deployment approvals (issue 13): a run whose deployment goes to an environment with `approval: required` waits,
-- visibly, until an allowed user approves or rejects it, or its approval_timeout fails it. One row per run and
-- environment: the request, then who decided, when and why.
CREATE TABLE pipeline_approvals (
    run_id       uuid        NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    environment  text        NOT NULL,
    approvers    text[]      NOT NULL,
    status       text        NOT NULL CHECK (status IN ('waiting', 'approved', 'rejected', 'expired', 'canceled')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    decided_by   text,
    decided_at   timestamptz,
    comment      text,
    PRIMARY KEY (run_id, environment)
);
