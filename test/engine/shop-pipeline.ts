import { join } from 'node:path';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';

/** Orders batch `n` (deterministic): 20 orders, some with NULL amounts, statuses mixed. */
export function orders(n: number, count = 20): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => {
    const id = n * 1000 + i;
    return {
      order_id: id,
      customer_id: (id % 5) + 1,
      amount: i % 7 === 3 ? null : Math.round(((id * 37) % 1000) * 1.25) / 10,
      status: i % 3 === 0 ? 'new' : 'shipped',
      ts: `2026-01-0${(n % 9) + 1}T${String(i % 24).padStart(2, '0')}:15:00Z`,
    };
  });
}

export const CUSTOMERS_CSV =
  'customer_id;name;country\n1;Ada;UK\n2;Grace;US\n3;Linus;FI\n4;Barbara;US\n5;Ken;US\n';

export const SHOP_SQL = `-- bronze: raw files
CREATE OR REFRESH STREAMING TABLE bronze_orders
COMMENT 'raw orders'
AS SELECT * FROM STREAM read_files('data/orders/*.json', format => 'json');

CREATE OR REFRESH STREAMING TABLE bronze_customers
AS SELECT * FROM STREAM read_files('data/customers', format => 'csv', header => 'true', delimiter => ';');

/* a view, inlined where it is read */
CREATE TEMPORARY VIEW valid_orders AS
SELECT * FROM STREAM(bronze_orders) WHERE amount IS NOT NULL;

CREATE OR REFRESH STREAMING TABLE silver_orders AS
SELECT o.order_id, o.customer_id, o.amount, upper(o.status) AS status
FROM STREAM(valid_orders) o;

CREATE FLOW late_orders AS INSERT INTO silver_orders BY NAME
SELECT order_id, customer_id, amount, 'LATE' AS status
FROM STREAM read_files('data/late', format => 'json');

CREATE OR REFRESH MATERIALIZED VIEW customer_totals AS
SELECT c.name, count(*) AS orders, round(sum(o.amount), 2) AS total
FROM silver_orders o JOIN bronze_customers c ON o.customer_id = c.customer_id
GROUP BY c.name;
`;

export const SHOP_TS = `import { appendFlow, materializedView, read, readFiles, sql, stream, table, temporaryView } from 'sluice';

table({ name: 'bronze_orders', comment: 'raw orders' }, sql\`SELECT * FROM \${stream(readFiles('data/orders/*.json', { format: 'json' }))}\`);
table({ name: 'bronze_customers' }, sql\`SELECT * FROM \${stream(readFiles('data/customers', { format: 'csv', header: 'true', delimiter: ';' }))}\`);
temporaryView({ name: 'valid_orders' }, sql\`SELECT * FROM \${stream('bronze_orders')} WHERE amount IS NOT NULL\`);
table({ name: 'silver_orders' }, sql\`SELECT o.order_id, o.customer_id, o.amount, upper(o.status) AS status FROM \${stream('valid_orders')} o\`);
appendFlow({ name: 'late_orders', target: 'silver_orders' }, sql\`SELECT order_id, customer_id, amount, 'LATE' AS status FROM \${stream(readFiles('data/late', { format: 'json' }))}\`);
materializedView({ name: 'customer_totals' }, sql\`SELECT c.name, count(*) AS orders, round(sum(o.amount), 2) AS total FROM \${read('silver_orders')} o JOIN \${read('bronze_customers')} c ON o.customer_id = c.customer_id GROUP BY c.name\`);
`;

/** Writes the shop pipeline (SQL or TS variant) with its first data files. */
export function writeShopPipeline(dir: string, variant: 'sql' | 'ts' = 'sql'): void {
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: shop\n',
    ...(variant === 'sql'
      ? { 'transformations/shop.sql': SHOP_SQL }
      : { 'transformations/shop.ts': SHOP_TS }),
    'data/orders/orders-001.json': ndjson(orders(1)),
    'data/orders/orders-002.json': ndjson(orders(2)),
    'data/customers/customers.csv': CUSTOMERS_CSV,
    'data/late/late-001.json': ndjson([{ order_id: 9001, customer_id: 2, amount: 5.5 }]),
  });
}

export function ordersFile(dir: string, n: number): string {
  return join(dir, 'data', 'orders', `orders-${String(n).padStart(3, '0')}.json`);
}
