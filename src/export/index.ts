export { exportDatabricks } from './databricks.ts';
export { datasetSql, type ExpectationStyle, quarantineTableSql } from './emit-sql.ts';
export { type ExportInput, type ExportPlan, slug } from './export-plan.ts';
export { lowerQuarantineClauses } from './lower-sql-file.ts';
export { exportSpark } from './spark.ts';
