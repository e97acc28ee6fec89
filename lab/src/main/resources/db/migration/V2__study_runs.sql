-- What the study loop needs beyond V1: which experiment a run belongs to and what part it plays, how far a run
-- got when successive halving stopped it, and how much of a study's time budget earlier sessions spent (a study
-- killed and resumed keeps counting where it stopped). Portable SQL, as in V1.

-- The experiment is the id of its first run; its other runs are further seeds or a confirmation of a close call.
alter table runs add column experiment varchar(160);
-- baseline | experiment | confirm | scale
alter table runs add column role varchar(16);
-- fraction of the run budget spent when the run was stopped early, or null when it was not
alter table runs add column stopped_at double precision;

alter table studies add column spent_seconds double precision;
