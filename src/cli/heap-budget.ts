/**
 * Keeps the CLI's heap near what it really holds while it validates a folder file after file. V8 sizes its next
 * full collection from the live heap and the machine's memory, so on a large machine it let hundreds of MB of
 * parsed files (and the decoded text of each one, kept in large-object space until a full collection) pile up
 * before collecting: the R4 examples folder peaked at 700+ MB while ~120 MB was live (ADR 0067). Here a full
 * collection runs before a file whenever the garbage since the last one, plus what that file is about to cost,
 * would pass a budget; on the examples folder that is a few collections for 5,000 files.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap growth (bytes) over the live heap of the last collection that triggers the next one. */
export const DEFAULT_HEAP_BUDGET = 96 * 1024 * 1024;
/** Heap cost of parsing and validating a file, per byte of file (measured: ~6 on the 35 MB spec Bundles). */
const COST_PER_FILE_BYTE = 8;

export interface HeapBudget {
  /** Call before reading a file of `size` bytes: collects first when the heap would otherwise pass the budget. */
  beforeFile(size: number): void;
  /** Full collections run so far. */
  readonly collections: number;
}

/** `gc()` of this process: exposing it after start-up only reaches contexts made afterwards, hence the new one. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * @example const budget = createHeapBudget({ collectFirst: true }); for (const f of files) { budget.beforeFile(statSync(f).size); validate(f); }
 */
export function createHeapBudget(options: { budget?: number; collectFirst?: boolean } = {}): HeapBudget {
  const budget = options.budget ?? DEFAULT_HEAP_BUDGET;
  const gc = exposedGc();
  // A run of many files starts from a collection: what loading the packages left behind is garbage too.
  if (options.collectFirst) gc();
  let live = getHeapStatistics().used_heap_size;
  let collections = options.collectFirst ? 1 : 0;
  return {
    beforeFile(size) {
      const used = getHeapStatistics().used_heap_size;
      if (used - live + size * COST_PER_FILE_BYTE <= budget) return;
      gc();
      collections++;
      live = getHeapStatistics().used_heap_size;
    },
    get collections() {
      return collections;
    },
  };
}
