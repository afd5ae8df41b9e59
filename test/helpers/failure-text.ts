/** All messages along an error's cause chain, joined: what an operator would read in the UI. */
export function failureText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur && i < 10; i++) {
    const err = cur as { message?: unknown; cause?: unknown };
    if (typeof err.message === 'string') parts.push(err.message);
    cur = err.cause;
  }
  return parts.join(' <- ');
}
