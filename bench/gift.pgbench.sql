-- The gift transaction in raw SQL, statement for statement what gift_send writes (bench/run.py passes the -D
-- variables): the GiftSend row, the ledger transaction, the sender's debit with a >= check (a division by zero
-- aborts the transaction when the coins are not there, as InsufficientFunds rolls back the service's), the credit
-- on one random balance shard of the creator's DIAMOND account, the four entries.
-- creators=1 is the hot creator (every gift to creator 1); creators=10000 spreads them.
\set v random(1, :viewers)
\set c random(1, :creators)
\set s random(0, :shards - 1)
\set ca :creator_account_base + :c
BEGIN;
INSERT INTO gifts_giftsend (public_id, sender_id, creator_id, gift_id, live_session_id, quantity, coins, diamonds, visibility, status, undo_until, flagged, created_at) VALUES (gen_random_uuid(), :v, :c, :gift, NULL, 1, :coins, :coins, 'public', 'final', NULL, false, now()) RETURNING public_id AS gift_uuid \gset
INSERT INTO wallet_ledgertransaction (kind, idempotency_key, reference_type, reference_id, memo, created_by_id, created_at) VALUES ('gift', 'gift-:gift_uuid', 'gift_send', ':gift_uuid', '1 x Heart to @creator:c', NULL, now()) RETURNING id AS txn \gset
WITH debit AS (UPDATE wallet_ledgeraccount SET balance = balance - :coins WHERE id = :v AND balance >= :coins RETURNING 1) SELECT 1 / count(*) FROM debit;
UPDATE wallet_ledgerbalanceshard SET balance = balance + :coins WHERE account_id = :ca AND shard = :s;
INSERT INTO wallet_ledgerentry (transaction_id, account_id, asset, amount) VALUES (:txn, :v, 'COIN', -:coins), (:txn, :coin_sink, 'COIN', :coins), (:txn, :ca, 'DIAMOND', :coins), (:txn, :diamond_issuance, 'DIAMOND', -:coins);
END;
