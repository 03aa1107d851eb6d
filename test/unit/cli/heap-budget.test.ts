import { createHeapBudget } from '../../../src/cli/heap-budget.ts';

describe('createHeapBudget', () => {
  test('when a file would pass the budget, then a full collection runs first', () => {
    const budget = createHeapBudget({ budget: 1024 });
    expect(budget.collections).toBe(0);
    budget.beforeFile(1024);
    expect(budget.collections).toBe(1);
  });

  test('when files stay within the budget, then nothing is collected', () => {
    const budget = createHeapBudget({ budget: 1024 * 1024 * 1024 });
    budget.beforeFile(1000);
    budget.beforeFile(1000);
    expect(budget.collections).toBe(0);
  });

  test('when a run starts with a collection, then it is counted', () => {
    expect(createHeapBudget({ collectFirst: true, budget: 1024 * 1024 * 1024 }).collections).toBe(1);
  });
});
