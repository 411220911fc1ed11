-- thermogate central schema, version 3: where purge cut, and when.
--
-- A kiosk pushing records at or below a purge anchor's id skips them only
-- when they are the records purge removed: each older than the purge's
-- cutoff, the one at the anchor's id hashing to the anchor's hash. A new
-- database under the same kiosk_id (a replaced SD card, a reused name)
-- starts its ids at 1 again with new records; they are refused, never
-- skipped as sent.

ALTER TABLE thermogate.chain_anchors ADD COLUMN cutoff timestamptz;

-- Anchors from before this version did not keep their cutoff. Every record
-- purge removed is older than the first record it left (that record was the
-- first at or after the cutoff); with nothing left, older than now.
UPDATE thermogate.chain_anchors a SET cutoff = coalesce(
    CASE a.kind
        WHEN 'screening' THEN (SELECT min(s.time) FROM thermogate.screenings s WHERE s.kiosk_id = a.kiosk_id AND s.id > a.id)
        ELSE (SELECT min(u.time) FROM thermogate.audit u WHERE u.kiosk_id = a.kiosk_id AND u.id > a.id)
    END, now());

ALTER TABLE thermogate.chain_anchors ALTER COLUMN cutoff SET NOT NULL;
