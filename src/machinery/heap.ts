// Between the steps of a big night, the memory of the step before is given back at
// once: tonight's tables are typed arrays of hundreds of megabytes, and V8 frees an
// array's memory only when a major collection finds it unreachable, which on a 5M
// night came a step or two later, when the next step's arrays were already taken
// (peak RSS is the sum). A full collection of the small heap costs some 10-50 ms.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

/** A full garbage collection now (the step's big arrays were let go of). */
export function collectGarbage(): void {
  if (gc === undefined) {
    // --expose-gc, set at run time: the collector is reachable from a new context.
    v8.setFlagsFromString('--expose-gc');
    gc = (vm.runInNewContext('gc') as (() => void) | undefined) ?? null;
  }
  gc?.();
}
