// The names LanceDbStore gives its tables: one per collection, and a side table per collection's ledger.

/** Side table holding the shard ledger of a collection (see shard-ledger.ts). */
export const LEDGER_SUFFIX = '__shards';
/** LanceDB's table-name rule (other names make 0.31 panic instead of failing cleanly). */
const TABLE_NAME = /^[A-Za-z0-9_.-]+$/;

/** The ledger's table of a collection. */
export function ledgerTableName(collection: string): string {
  return `${collection}${LEDGER_SUFFIX}`;
}

export function isLedgerTableName(table: string): boolean {
  return table.endsWith(LEDGER_SUFFIX);
}

/** A RangeError naming the collection unless LanceDB accepts it as a table name. */
export function checkName(name: string): void {
  if (!TABLE_NAME.test(name)) {
    throw new RangeError(
      `collection name "${name}" is not allowed: LanceDB table names use only letters, digits, "_", "-" and "."`,
    );
  }
}

/** checkName, and a RangeError for a name reserved for ledgers (hidden from listings, clashing with one). */
export function checkCollectionName(name: string): void {
  checkName(name);
  if (isLedgerTableName(name))
    throw new RangeError(
      `collection name "${name}" ends with "${LEDGER_SUFFIX}", reserved for shard ledgers`,
    );
}
