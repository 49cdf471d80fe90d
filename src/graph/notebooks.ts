/**
 * Databricks SQL notebooks (`-- Databricks notebook source`, cells split by
 * `-- COMMAND ----------`) as SQL scripts. Databricks runs each cell on its own, so a cell's last
 * statement needs no `;`; every cell separator line becomes a `;` line (an empty statement when
 * the cell already ended with one). Markdown and other `-- MAGIC` cells are comments already.
 * Line numbers are unchanged, so errors point into the notebook.
 */
export function sqlNotebookAsScript(text: string): string {
  if (!/^(\uFEFF)?-- Databricks notebook source[ \t]*\r?$/m.test(text.split('\n', 1)[0] ?? '')) return text;
  return text.replace(/^-- COMMAND -{5,}[ \t]*(?=\r?$)/gm, ';');
}
