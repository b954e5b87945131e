/** Whether an async iterable yields nothing; reads at most its first value, then closes it. */
export async function isEmpty(values: AsyncIterable<unknown>): Promise<boolean> {
  for await (const _value of values) return false;
  return true;
}
