/**
 * Setting names are checked by tsc (issue 22, "typed setting names"): `Config`'s accessors take only declared names,
 * each accessor only the settings of its kind (`num` the numeric ones, `bool` the booleans, `choice` those with
 * declared choices, typed as their union). The fixture marks every line that must not compile with
 * `@ts-expect-error`; compiled as it is it must give no error (so each marked line does fail, and the others pass),
 * and compiled without the marks it must give an error on exactly the marked lines.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'setting-names.ts');
const MARK = '// @ts-expect-error';

/** Compiles the fixture (its text replaced by `text`) with the repository's compiler options; the error lines, 1-based. */
function errorLines(text: string): { line: number; message: string }[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    isolatedModules: true,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (f === FIXTURE ? text : read(f));
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) =>
    f === FIXTURE ? ts.createSourceFile(f, text, lang) : getSource(f, lang, ...rest);
  const program = ts.createProgram([FIXTURE], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === FIXTURE)
    .map((d) => ({
      line: (d.file as ts.SourceFile).getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
      message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
    }));
}

describe('setting names are checked by tsc', () => {
  const text = readFileSync(FIXTURE, 'utf8');
  const lines = text.split('\n');
  // the line after each mark (1-based: the mark's index + 2)
  const marked = lines.flatMap((l, i) => (l.trim().startsWith(MARK) ? [i + 2] : []));

  it('the fixture compiles as it is: every marked line fails, every other line passes', () => {
    expect(marked.length).toBe(7);
    expect(errorLines(text)).toEqual([]);
  }, 60_000);

  it('without the marks, tsc reports exactly the marked lines, a misspelt name among them', () => {
    const stripped = lines.map((l) => (l.trim().startsWith(MARK) ? '' : l)).join('\n');
    const errors = errorLines(stripped);
    expect([...new Set(errors.map((e) => e.line))].sort((a, b) => a - b)).toEqual(marked);
    const misspelt = errors.find((e) => lines[e.line - 1].includes("'apiPrt'"));
    expect(misspelt?.message).toMatch(/Argument of type '"apiPrt"' is not assignable to parameter of type/);
  }, 60_000);
});
