-- thermogate central schema, version 1. Applied by `thermogate fleet migrate`
-- in one transaction; the roles, the schema and its table of applied
-- versions are created before it (see migrate.go).

REVOKE ALL ON SCHEMA thermogate FROM PUBLIC;
GRANT USAGE ON SCHEMA thermogate TO thermogate_kiosk, thermogate_office;

-- One row per door. role is the PostgreSQL role the kiosk logs in as.
CREATE TABLE thermogate.kiosks (
    id       text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    role     name NOT NULL UNIQUE,
    location text NOT NULL DEFAULT '' CHECK (char_length(location) <= 64),
    added_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON thermogate.kiosks TO thermogate_office;

-- kiosk_of names the kiosk a role is; row-level security compares with it.
CREATE FUNCTION thermogate.kiosk_of(r name) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT id FROM thermogate.kiosks WHERE role = r $$;
REVOKE ALL ON FUNCTION thermogate.kiosk_of(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION thermogate.kiosk_of(name) TO thermogate_kiosk, thermogate_office;

-- Bookings: written by `thermogate fleet bookings import/cancel` or directly
-- by the booking system (role thermogate_office). seq is set by the trigger
-- on every change: kiosks pull the rows with a seq above the last they have.
CREATE SEQUENCE thermogate.booking_seq;
GRANT USAGE ON SEQUENCE thermogate.booking_seq TO thermogate_office;
CREATE TABLE thermogate.bookings (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{4,16}$'),
    start_at   timestamptz NOT NULL,
    minutes    integer NOT NULL DEFAULT 15 CHECK (minutes BETWEEN 1 AND 120),
    service    text NOT NULL DEFAULT '' CHECK (char_length(service) <= 100),
    lang       text NOT NULL DEFAULT '' CHECK (lang IN ('', 'lt', 'pl', 'ru', 'en')),
    location   text NOT NULL DEFAULT '' CHECK (char_length(location) <= 64),
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    used_at    timestamptz,
    used_by    text,
    seq        bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookings_seq ON thermogate.bookings (seq);
CREATE INDEX bookings_start ON thermogate.bookings (start_at);
GRANT SELECT ON thermogate.bookings TO thermogate_kiosk;
GRANT SELECT, INSERT, UPDATE (start_at, minutes, service, lang, location, status) ON thermogate.bookings TO thermogate_office;

-- Every change takes the next number under one lock held to the commit, so
-- numbers become visible in order: a kiosk that has seen change n has seen
-- every change before it. An update that changes nothing keeps its number.
CREATE FUNCTION thermogate.booking_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.code, NEW.start_at, NEW.minutes, NEW.service, NEW.lang, NEW.location, NEW.status, NEW.used_at, NEW.used_by)
        IS NOT DISTINCT FROM (OLD.code, OLD.start_at, OLD.minutes, OLD.service, OLD.lang, OLD.location, OLD.status, OLD.used_at, OLD.used_by) THEN
        NEW.seq := OLD.seq;
        NEW.changed_at := OLD.changed_at;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.code <> OLD.code THEN
        RAISE EXCEPTION 'a booking''s code cannot change; cancel it and book the new code';
    END IF;
    PERFORM pg_advisory_xact_lock(4810951742);
    NEW.seq := nextval('thermogate.booking_seq');
    NEW.changed_at := now();
    PERFORM pg_notify('thermogate_bookings', '');
    RETURN NEW;
END $$;
CREATE TRIGGER booking_changed BEFORE INSERT OR UPDATE ON thermogate.bookings
    FOR EACH ROW EXECUTE FUNCTION thermogate.booking_changed();

-- A deleted booking would never reach the kiosks: cancel instead. Only the
-- retention purge deletes (old bookings, which no kiosk needs).
CREATE FUNCTION thermogate.booking_deleted() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    IF coalesce(current_setting('thermogate.purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'bookings are not deleted: cancel them (status = ''cancelled'') so that every door hears of it';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER booking_deleted BEFORE DELETE ON thermogate.bookings
    FOR EACH ROW EXECUTE FUNCTION thermogate.booking_deleted();

-- Screenings and audit entries as the kiosks stored them: record holds the
-- kiosk's stored bytes exactly (the hash chains run over them); the other
-- columns are copies for queries.
-- kiosk_id has no foreign key: row-level security already admits only the
-- inserting role's own registered kiosk, and a per-row check would double
-- the cost of a push.
CREATE TABLE thermogate.screenings (
    kiosk_id     text NOT NULL,
    id           bigint NOT NULL CHECK (id > 0),
    time         timestamptz NOT NULL,
    code         text NOT NULL DEFAULT '',
    decision     text NOT NULL CHECK (decision IN ('admit', 'deny', 'refer')),
    reason       text NOT NULL,
    shown_c      double precision,
    booking_used boolean NOT NULL DEFAULT false,
    guard        text NOT NULL DEFAULT '',
    record       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kiosk_id, id)
);
CREATE INDEX screenings_time ON thermogate.screenings (time);

CREATE TABLE thermogate.audit (
    kiosk_id    text NOT NULL,
    id          bigint NOT NULL CHECK (id > 0),
    time        timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    record      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kiosk_id, id)
);
CREATE INDEX audit_time ON thermogate.audit (time);

-- Where `fleet purge` cut a kiosk's chains: the last removed record's id and
-- sha256, so `fleet verify` checks the rest from there.
CREATE TABLE thermogate.chain_anchors (
    kiosk_id text NOT NULL REFERENCES thermogate.kiosks (id),
    kind     text NOT NULL CHECK (kind IN ('screening', 'audit')),
    id       bigint NOT NULL,
    hash     text NOT NULL,
    PRIMARY KEY (kiosk_id, kind)
);
GRANT SELECT ON thermogate.chain_anchors TO thermogate_office;

-- One row per kiosk, rewritten by the kiosk every poll interval.
CREATE TABLE thermogate.heartbeats (
    kiosk_id    text PRIMARY KEY REFERENCES thermogate.kiosks (id),
    seen_at     timestamptz NOT NULL,
    in_service  boolean NOT NULL,
    why         text NOT NULL DEFAULT '',
    backlog     bigint NOT NULL DEFAULT 0,
    booking_seq bigint NOT NULL DEFAULT 0,
    version     text NOT NULL DEFAULT '',
    location    text NOT NULL DEFAULT ''
);

-- A screening that used a booking marks it used centrally, which is a
-- booking change every other door pulls: the code is then already_used
-- there. Runs as the schema's owner: kiosks cannot write bookings.
CREATE FUNCTION thermogate.screenings_used_bookings() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    UPDATE thermogate.bookings b SET used_at = u.time, used_by = u.kiosk_id
        FROM (SELECT DISTINCT ON (code) code, time, kiosk_id FROM inserted
              WHERE booking_used AND code <> '' ORDER BY code, time) u
        WHERE b.code = u.code AND (b.used_at IS NULL OR b.used_at > u.time);
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION thermogate.screenings_used_bookings() FROM PUBLIC;
CREATE TRIGGER screenings_used_bookings AFTER INSERT ON thermogate.screenings
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION thermogate.screenings_used_bookings();

-- Row-level security: a kiosk inserts only rows with its own kiosk_id and
-- reads only its own (to check a repeated push); the office reads all.
ALTER TABLE thermogate.screenings ENABLE ROW LEVEL SECURITY;
ALTER TABLE thermogate.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE thermogate.heartbeats ENABLE ROW LEVEL SECURITY;

CREATE POLICY kiosk_own ON thermogate.screenings TO thermogate_kiosk
    USING (kiosk_id = (SELECT thermogate.kiosk_of(current_user)))
    WITH CHECK (kiosk_id = (SELECT thermogate.kiosk_of(current_user)));
CREATE POLICY office_reads ON thermogate.screenings FOR SELECT TO thermogate_office USING (true);
GRANT SELECT, INSERT ON thermogate.screenings TO thermogate_kiosk;
GRANT SELECT ON thermogate.screenings TO thermogate_office;

CREATE POLICY kiosk_own ON thermogate.audit TO thermogate_kiosk
    USING (kiosk_id = (SELECT thermogate.kiosk_of(current_user)))
    WITH CHECK (kiosk_id = (SELECT thermogate.kiosk_of(current_user)));
CREATE POLICY office_reads ON thermogate.audit FOR SELECT TO thermogate_office USING (true);
GRANT SELECT, INSERT ON thermogate.audit TO thermogate_kiosk;
GRANT SELECT ON thermogate.audit TO thermogate_office;

CREATE POLICY kiosk_own ON thermogate.heartbeats TO thermogate_kiosk
    USING (kiosk_id = (SELECT thermogate.kiosk_of(current_user)))
    WITH CHECK (kiosk_id = (SELECT thermogate.kiosk_of(current_user)));
CREATE POLICY office_reads ON thermogate.heartbeats FOR SELECT TO thermogate_office USING (true);
GRANT SELECT, INSERT, UPDATE ON thermogate.heartbeats TO thermogate_kiosk;
GRANT SELECT ON thermogate.heartbeats TO thermogate_office;
