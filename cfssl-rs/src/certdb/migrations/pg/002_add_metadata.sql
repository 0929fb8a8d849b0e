-- Version 2: issuance metadata columns (PostgreSQL dialect).
ALTER TABLE certificates
  ADD COLUMN issued_at timestamptz,
  ADD COLUMN not_before timestamptz,
  ADD COLUMN metadata jsonb,
  ADD COLUMN sans jsonb,
  ADD COLUMN common_name TEXT;
