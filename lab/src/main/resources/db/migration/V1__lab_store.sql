-- The lab's store: studies, runs, metric points, guard events, keep/discard decisions and journal notes.
--
-- Portable SQL only, so that PostgreSQL is a JDBC URL away from the default SQLite: standard types (varchar,
-- text, integer, bigint, double precision), named check constraints, no autoincrement (keys are chosen by the
-- lab: run ids, or (parent, seq) pairs), times as epoch milliseconds, JSON as text. Upserts use
-- INSERT ... ON CONFLICT, which both databases read the same way.

create table studies (
    name          varchar(128)     not null primary key,
    objective     text,
    metric        varchar(32)      not null,
    researcher    varchar(128)     not null,
    brief         text,
    search_space  text,
    budget        varchar(64),
    run_budget    varchar(64),
    status        varchar(16)      not null,
    created_at    bigint           not null,
    updated_at    bigint           not null,
    finished_at   bigint,
    summary       text,
    constraint studies_status check (status in ('running', 'finished'))
);

create table runs (
    id              varchar(160)     not null primary key,
    study           varchar(128)     references studies (name),
    ordinal         integer,
    recipe          text             not null,
    recipe_hash     varchar(64)      not null,
    parent          varchar(160),
    change_json     text,
    proposer        varchar(128),
    hypothesis      text,
    status          varchar(16)      not null,
    attempts        integer          not null,
    metric          double precision,
    test_metric     double precision,
    steps           bigint,
    tokens          bigint,
    train_seconds   double precision,
    queued_at       bigint           not null,
    started_at      bigint,
    finished_at     bigint,
    checkpoint_path text,
    error           text,
    constraint runs_status check (status in ('queued', 'running', 'finished', 'crashed', 'diverged', 'killed')),
    constraint runs_study_ordinal unique (study, ordinal)
);

create index runs_by_recipe_hash on runs (recipe_hash);

-- One row per (run, metric name, step). A null value is a NaN: SQLite cannot store NaN, and a NaN loss is
-- exactly what the guard needs to see recorded.
create table metric_points (
    run    varchar(160)     not null references runs (id),
    name   varchar(64)      not null,
    step   bigint           not null,
    value  double precision,
    primary key (run, name, step)
);

create table events (
    run          varchar(160)  not null references runs (id),
    seq          integer       not null,
    step         bigint        not null,
    kind         varchar(64)   not null,
    rule         varchar(128),
    measured     text,
    action       varchar(64),
    message      text,
    recorded_at  bigint        not null,
    primary key (run, seq)
);

create table decisions (
    study        varchar(128)      not null references studies (name),
    run          varchar(160)      not null references runs (id),
    decision     varchar(16)       not null,
    metric       double precision,
    best_before  double precision,
    delta        double precision,
    noise_floor  double precision,
    rationale    text              not null,
    decided_at   bigint            not null,
    primary key (study, run),
    constraint decisions_decision check (decision in ('keep', 'discard'))
);

create table notes (
    study        varchar(128)  not null references studies (name),
    seq          integer       not null,
    run          varchar(160)  references runs (id),
    author       varchar(128)  not null,
    body         text          not null,
    recorded_at  bigint        not null,
    primary key (study, seq)
);
