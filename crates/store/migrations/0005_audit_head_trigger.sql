-- The audit head follows every appended entry by trigger, in the same statement as the INSERT:
-- one round trip less per audited change (issue 5, intake path). `append_audit` still reads the
-- head first (on PostgreSQL FOR UPDATE, which orders concurrent appends); deleting or editing an
-- entry does not move the head, so `audit verify` still sees such tampering.

-- @sqlite
CREATE TRIGGER audit_head_follow AFTER INSERT ON audit_log BEGIN
    UPDATE audit_head SET seq = new.seq, hash = new.hash WHERE id = 1;
END;

-- @postgres
CREATE FUNCTION audit_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_head_follow AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_head_follow();
