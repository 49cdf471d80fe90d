-- The change feed of the operational customers table (inserts, updates, deletes), as JSON files.
-- Events arrive out of order and some are delivered twice; sequence_num orders them.
CREATE OR REFRESH STREAMING TABLE customer_changes
COMMENT 'Raw customer change events'
AS SELECT * FROM STREAM read_files('${changes_path}', format => 'json', maxFilesPerTrigger => '1',
  schemaHints => 'customer_id BIGINT, name STRING, email STRING, city STRING, operation STRING, sequence_num BIGINT');

-- SCD type 1: the current row of every customer; its change data feed is on for downstream readers.
CREATE OR REFRESH STREAMING TABLE customers
COMMENT 'Current customers (SCD type 1)'
TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true');

CREATE FLOW customers_cdc AS AUTO CDC INTO customers
FROM STREAM(customer_changes)
KEYS (customer_id)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY sequence_num
COLUMNS * EXCEPT (operation, _rescued_data)
STORED AS SCD TYPE 1;

-- SCD type 2: every version of every customer. A new version opens when the name or the city
-- changes; an e-mail change updates the current version in place.
CREATE OR REFRESH STREAMING TABLE customers_history
COMMENT 'Customer history (SCD type 2)';

APPLY CHANGES INTO LIVE.customers_history
FROM STREAM(customer_changes)
KEYS (customer_id)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY sequence_num
COLUMNS * EXCEPT (operation, _rescued_data)
STORED AS SCD TYPE 2
TRACK HISTORY ON (name, city);

-- Downstream: the current customers per city.
CREATE OR REFRESH MATERIALIZED VIEW customers_by_city
COMMENT 'Current customers per city'
AS SELECT city, count(*) AS customers FROM customers GROUP BY city;

-- Downstream: the SCD 1 table's change data feed, read incrementally as a stream (every change
-- since version 0, each read once: inserts, update pre- and post-images, deletes).
CREATE OR REFRESH STREAMING TABLE customer_feed
COMMENT 'Changes of the current customers, from their change data feed'
AS SELECT customer_id, name, city, _change_type, _commit_version, _commit_timestamp
FROM STREAM(customers) WITH ('readChangeFeed' = 'true', 'startingVersion' = '0');

-- Downstream: the customers deleted since the first version, from the same change data feed read
-- as a batch (recomputed when customers changes).
CREATE OR REFRESH MATERIALIZED VIEW deleted_customers
COMMENT 'Customers deleted, with the version that deleted them'
AS SELECT customer_id, name, _commit_version AS deleted_at_version
FROM table_changes('customers', 1) WHERE _change_type = 'delete';
