/**
 * Test helper: what a call that must fail threw, as `CODE message` (a TicklakeError's code and its message), so that
 * a test compares the whole error a user would see in one string; fails the test when the call does not throw.
 */
export function errorText(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return `${(e as { code: string }).code} ${(e as Error).message}`;
  }
  throw new Error('expected an error');
}
