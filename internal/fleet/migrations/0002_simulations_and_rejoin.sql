-- thermogate central schema, version 2: simulations and joining again.
--
-- `thermogate simulate` on a kiosk in a fleet pushes its screenings under a
-- simulation identity of the kiosk, 'simulate:<kiosk_id>:<run>' (a ':' is
-- never in a kiosk's own id), with the kiosk's own role: a commissioning run
-- is checked centrally without mixing with the door's real screenings.

-- may_write: the kiosk_ids a kiosk's role inserts and reads: its own and
-- its simulations'.
CREATE FUNCTION thermogate.may_write(k text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog
    AS $$ SELECT k = me OR starts_with(k, 'simulate:' || me || ':')
          FROM (SELECT thermogate.kiosk_of(current_user) AS me) m $$;
REVOKE ALL ON FUNCTION thermogate.may_write(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION thermogate.may_write(text) TO thermogate_kiosk;

DROP POLICY kiosk_own ON thermogate.screenings;
CREATE POLICY kiosk_own ON thermogate.screenings TO thermogate_kiosk
    USING (kiosk_id = (SELECT thermogate.kiosk_of(current_user)) OR thermogate.may_write(kiosk_id))
    WITH CHECK (kiosk_id = (SELECT thermogate.kiosk_of(current_user)) OR thermogate.may_write(kiosk_id));
DROP POLICY kiosk_own ON thermogate.audit;
CREATE POLICY kiosk_own ON thermogate.audit TO thermogate_kiosk
    USING (kiosk_id = (SELECT thermogate.kiosk_of(current_user)) OR thermogate.may_write(kiosk_id))
    WITH CHECK (kiosk_id = (SELECT thermogate.kiosk_of(current_user)) OR thermogate.may_write(kiosk_id));

-- A simulated screening never marks a real booking used.
CREATE OR REPLACE FUNCTION thermogate.screenings_used_bookings() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    UPDATE thermogate.bookings b SET used_at = u.time, used_by = u.kiosk_id
        FROM (SELECT DISTINCT ON (code) code, time, kiosk_id FROM inserted
              WHERE booking_used AND code <> '' AND NOT starts_with(kiosk_id, 'simulate:') ORDER BY code, time) u
        WHERE b.code = u.code AND (b.used_at IS NULL OR b.used_at > u.time);
    RETURN NULL;
END $$;

-- Purge cuts simulations' chains too, which are no registered kiosk.
ALTER TABLE thermogate.chain_anchors DROP CONSTRAINT chain_anchors_kiosk_id_fkey;

-- A kiosk that joins again sends its whole history; it reads where purge
-- cut its chains so that it does not bring back what retention removed.
ALTER TABLE thermogate.chain_anchors ENABLE ROW LEVEL SECURITY;
CREATE POLICY kiosk_own ON thermogate.chain_anchors FOR SELECT TO thermogate_kiosk
    USING (thermogate.may_write(kiosk_id));
CREATE POLICY office_reads ON thermogate.chain_anchors FOR SELECT TO thermogate_office USING (true);
GRANT SELECT ON thermogate.chain_anchors TO thermogate_kiosk;
