// The list of every bead id (ids.txt): "\n" then one id a line, sorted up to `sortedEnd`, then a tail of ids
// appended since, unsorted. Lookups binary-search the sorted part in place (no parsing, no set of 100,000
// strings on a CLI's cold start) and scan the short tail. Ids are ASCII, so string and byte offsets agree.
export class IdList {
  /** Offset of the last newline of the sorted part. */
  private readonly end: number;

  constructor(
    private readonly text: string,
    sortedEnd: number,
  ) {
    this.end = Math.max(0, Math.min(sortedEnd, text.length) - 1);
  }

  /** The newline before the first sorted id >= target (or `end` when there is none). */
  private lowerBound(target: string): number {
    const text = this.text;
    let lo = 0;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = text.lastIndexOf('\n', mid);
      const lineEnd = text.indexOf('\n', p + 1);
      if (text.slice(p + 1, lineEnd) < target) lo = lineEnd;
      else hi = p;
    }
    return lo;
  }

  has(id: string): boolean {
    const p = this.lowerBound(id);
    if (p < this.end && this.text.startsWith(`${id}\n`, p + 1)) return true;
    return this.text.indexOf(`\n${id}\n`, this.end) >= 0;
  }

  /** Ids that start with `prefix`, sorted part first (at most `max`). */
  withPrefix(prefix: string, max = 10): string[] {
    const text = this.text;
    const out: string[] = [];
    for (let p = this.lowerBound(prefix); p < this.end && out.length < max; ) {
      const lineEnd = text.indexOf('\n', p + 1);
      const id = text.slice(p + 1, lineEnd);
      if (!id.startsWith(prefix)) break;
      out.push(id);
      p = lineEnd;
    }
    for (let from = this.end; out.length < max; ) {
      const at = text.indexOf(`\n${prefix}`, from);
      if (at < 0) break;
      const lineEnd = text.indexOf('\n', at + 1);
      if (lineEnd < 0) break;
      out.push(text.slice(at + 1, lineEnd));
      from = lineEnd;
    }
    return out;
  }

  all(): string[] {
    return this.text.split('\n').filter(Boolean);
  }

  /** The text of a fully sorted list holding `ids`. */
  static sortedText(ids: Iterable<string>): string {
    const list = [...new Set(ids)].sort();
    return list.length ? `\n${list.join('\n')}\n` : '\n';
  }
}
