/**
 * Splitting shell input into statements: a statement ends with `;` outside quotes and comments, so it may span
 * lines. `StatementBuffer.push(line)` returns the statements completed by that line (the rest waits for more).
 */
export class StatementBuffer {
  private text = '';
  private quote: string | null = null;
  private blockComment = false;

  /** True when a statement has started but not ended. */
  get pending(): boolean {
    return this.text.trim() !== '';
  }

  push(line: string): string[] {
    const out: string[] = [];
    const src = `${line}\n`;
    let start = 0;
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      if (this.blockComment) {
        if (c === '*' && src[i + 1] === '/') {
          this.blockComment = false;
          i++;
        }
      } else if (this.quote) {
        if (c === this.quote) this.quote = null;
      } else if (c === "'" || c === '"') this.quote = c;
      else if (c === '-' && src[i + 1] === '-') {
        i = src.indexOf('\n', i) - 1;
      } else if (c === '/' && src[i + 1] === '*') {
        this.blockComment = true;
        i++;
      } else if (c === ';') {
        const stmt = (this.text + src.slice(start, i + 1)).trim();
        this.text = '';
        start = i + 1;
        if (stmt !== ';') out.push(stmt);
      }
    }
    this.text += src.slice(start);
    if (!this.pending) this.text = '';
    return out;
  }

  /** Whatever is left (input ended without a final `;`). */
  flush(): string | undefined {
    const rest = this.text.trim();
    this.text = '';
    this.quote = null;
    this.blockComment = false;
    return rest === '' ? undefined : rest;
  }
}
