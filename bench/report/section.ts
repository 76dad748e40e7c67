/** What each area contributes to REPORT.md. */

export interface Plot {
  /** File name, written next to the report. */
  readonly file: string;
  readonly svg: string;
  readonly alt: string;
}

/** One line of the report's summary table. */
export interface Headline {
  readonly area: string;
  readonly figure: string;
  readonly target: string;
  /** PASS / MISS / info (no target) / not run. */
  readonly verdict: string;
}

export interface Section {
  readonly lines: readonly string[];
  readonly plots: readonly Plot[];
  readonly headlines: readonly Headline[];
}
