// Where LanceDbStore keeps its tables and what it names them: one per collection, its ledger's beside it
// (../shard-ledger.ts).
import { checkNotLedgerName } from '../shard-ledger.ts';

/** LanceDB's table-name rule (other names make 0.31 panic instead of failing cleanly). */
const TABLE_NAME = /^[A-Za-z0-9_.-]+$/;

/** A RangeError naming the collection unless LanceDB accepts it as a table name. */
export function checkName(name: string): void {
  if (!TABLE_NAME.test(name)) {
    throw new RangeError(
      `collection name "${name}" is not allowed: LanceDB table names use only letters, digits, "_", "-" and "."`,
    );
  }
}

/** checkName, and a RangeError for a name reserved for ledgers. */
export function checkCollectionName(name: string): void {
  checkName(name);
  checkNotLedgerName(name);
}

/** Whether a store URI is a local folder (a path), not an object store (`s3://...`, `gs://...`, ...). */
export function isLocalFolder(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri);
}
