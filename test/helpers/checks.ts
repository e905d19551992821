// Scripted end-to-end checks (the browser test, the package test): each check prints one line and a
// failed one stops the run; the summary line counts them and the exit code says whether all held.

interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export function scriptedChecks(): {
  check: (name: string, ok: boolean, detail?: string) => void;
  runChecks: (body: () => Promise<void>, cleanup: () => void, summarySuffix?: () => string) => Promise<number>;
} {
  const results: CheckResult[] = [];
  const check = (name: string, ok: boolean, detail = ''): void => {
    results.push({ name, ok, detail });
    console.log(`${ok ? 'ok    ' : 'FAILED'} ${name}${detail ? ` — ${detail}` : ''}`);
    if (!ok) throw new Error(`${name} failed`);
  };
  /** Runs `body`, then `cleanup`; an error no failed check explains counts as a failed 'run'. */
  const runChecks = async (body: () => Promise<void>, cleanup: () => void, summarySuffix?: () => string): Promise<number> => {
    let crashed = false;
    try {
      await body();
    } catch (error) {
      crashed = true;
      if (!results.some((r) => !r.ok)) {
        results.push({ name: 'run', ok: false, detail: String(error) });
        console.log(`FAILED ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    } finally {
      cleanup();
    }
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`${passed} passed, ${failed} failed${summarySuffix ? ` ${summarySuffix()}` : ''}`);
    return failed > 0 || crashed ? 1 : 0;
  };
  return { check, runChecks };
}
