import type { OutputStream } from '../../exec/runner';
import { stripAnsi } from './readiness';

/**
 * The last lines of an app's output, bounded in lines and characters, without terminal escape
 * sequences. Splits the stream into lines (stdout and stderr each keep their unfinished line) and
 * hands each finished line to the caller, for readiness.
 */
export class LineTail {
  private readonly lines: string[] = [];
  private chars = 0;
  private readonly partial: Record<OutputStream, string> = { stdout: '', stderr: '' };

  constructor(
    private readonly maxLines = 200,
    private readonly maxChars = 64 * 1024,
    /** A longer unfinished line is cut and kept as a line of its own. */
    private readonly maxLineChars = 4096,
  ) {}

  /** Adds a chunk; returns the lines it finished (and the text of the still unfinished one). */
  push(chunk: string, stream: OutputStream): { lines: string[]; partial: string } {
    let text = this.partial[stream] + chunk;
    const done: string[] = [];
    for (let nl = text.search(/\r?\n|\r(?!$)/); nl >= 0; nl = text.search(/\r?\n|\r(?!$)/)) {
      const sep = text.startsWith('\r\n', nl) ? 2 : 1;
      done.push(text.slice(0, nl));
      text = text.slice(nl + sep);
    }
    while (text.length > this.maxLineChars) {
      done.push(text.slice(0, this.maxLineChars));
      text = text.slice(this.maxLineChars);
    }
    this.partial[stream] = text;
    const clean = done.map(stripAnsi);
    for (const line of clean) this.add(line);
    return { lines: clean, partial: stripAnsi(text) };
  }

  private add(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
    while (this.lines.length > this.maxLines || (this.chars > this.maxChars && this.lines.length > 1))
      this.chars -= this.lines.shift()!.length + 1;
  }

  /** The kept lines (and any unfinished ones), at most `lines` of them, as one text. */
  text(lines = this.maxLines): string {
    const pending = [this.partial.stdout, this.partial.stderr].filter((p) => p !== '').map(stripAnsi);
    return [...this.lines, ...pending].slice(-lines).join('\n');
  }
}
