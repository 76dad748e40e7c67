/** One query of a query set (a topic): its id as the qrels and run files name it, and its text. */
export interface Query {
  readonly id: string;
  readonly text: string;
  /** 1-based line where the query starts in its file. */
  readonly line: number;
}
