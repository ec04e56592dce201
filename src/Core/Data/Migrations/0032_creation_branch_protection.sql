-- A template project on GitHub or GitLab may ask its creation flow to protect the default branch,
-- requiring the build's and the analysis' commit statuses (protectBranch in POST /projects).
ALTER TABLE project_creations ADD COLUMN protect_branch boolean NOT NULL DEFAULT false;
