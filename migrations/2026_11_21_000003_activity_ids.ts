import type { Kysely } from 'kysely';

/**
 * The Temporal activity that wrote each row, so an auditor can go from a row to
 * the workflow history event it came from (extraction_attempts has it already).
 */
const TABLES = ['routing_decisions', 'candidates', 'review_actions', 'invoices', 'contracts'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    await db.schema.alterTable(table).addColumn('activity_id', 'text').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    await db.schema.alterTable(table).dropColumn('activity_id').execute();
  }
}
