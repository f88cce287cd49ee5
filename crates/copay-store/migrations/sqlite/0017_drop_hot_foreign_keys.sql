-- Nothing on SQLite: PostgreSQL's 0017 drops foreign keys that made concurrent writers
-- share-lock one row (see there). SQLite takes no row locks, so its constraints cost no
-- waiting and stay. This file keeps the two migration sets numbered in step.
SELECT 1;
