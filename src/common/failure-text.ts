/** The most specific message along a failure's cause chain (Temporal wraps activity and child errors). Pure. */
export function failureText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur && i < 10; i++) {
    const err = cur as { message?: unknown; cause?: unknown };
    if (typeof err.message === 'string' && err.message) parts.push(err.message);
    cur = err.cause;
  }
  const generic =
    /^(Workflow execution failed|Activity task failed|Child Workflow execution failed|Activity task timed out|Child Workflow execution timed out)$/;
  const specific = parts.filter((p) => !generic.test(p));
  return specific[specific.length - 1] ?? parts[0] ?? String(e);
}
