// How long the centre waits for the other side before an item opens
// (clearing-rules.md, "Reconciliation").

/** A record of day D's INTEROP_OUT with no verdict by the end of day D+3 is LOCAL_ONLY. */
export const NATIONAL_VERDICT_DAYS = 3;

/** A settlement instruction of day D with no bank line by the end of day D+2 is LOCAL_ONLY. */
export const BANK_LINE_DAYS = 2;
