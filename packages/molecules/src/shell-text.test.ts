import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { substituteInstructions, substituteShell } from './shell-text.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

const HOSTILE = ['$(touch p1)', '`touch p2`', 'a; touch p3', `it's "q"`, "'; touch p4; '", '"; touch p5; "', '$HOME \\$HOME \\', '', ' * '];

/** Runs a script in a fresh directory: what it printed, and whether it created any file. */
function run(script: string): { out: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'shell-text-'));
  roots.push(dir);
  const out = execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' });
  return { out, files: readdirSync(dir) };
}

describe('substituteShell', () => {
  it('makes each value one literal word or string, in every kind of quoting, in comments and here-documents', () => {
    const scripts: [string, (v: string) => string][] = [
      ['printf "[%s]" {{v}}', (v) => `[${v}]`],
      ["printf '[%s]' 'x{{v}}y'", (v) => `[x${v}y]`],
      ['printf "[%s]" "x{{v}}y"', (v) => `[x${v}y]`],
      ['printf "[%s]" "$(printf "%s" {{v}})"', (v) => `[${v}]`],
      ['printf "[%s]" "`printf "%s" {{v}}`"', (v) => `[${v}]`],
      ['(printf "[%s]" {{v}})', (v) => `[${v}]`],
      ["# it's a comment {{v}}\nprintf done", () => 'done'],
      ['cat <<EOF\nx{{v}}y\nEOF', (v) => `x${v}y\n`],
      ["cat <<'EOF'\nx{{v}}y\nEOF\nprintf '%s' {{v}}", (v) => `x${v}y\n${v}`],
    ];
    for (const [script, expected] of scripts) {
      for (const v of [...HOSTILE, 'two\nlines; touch p6']) {
        if (script.includes('<<') && v.includes('\n')) continue;
        expect({ script, v, ...run(substituteShell(script, { v })) }).toEqual({ script, v, out: expected(v), files: [] });
      }
    }
  });

  it('quotes a value in a backquote for the quoting inside it too: its text loses a level of backslashes first', () => {
    const hostile = [...HOSTILE, '`; touch p7; `', '\\`; touch p8; \\`', '${x:=$(touch p9)}', '\\$(touch p10)', '\\\\'];
    const scripts = [
      'printf "[%s]" "`printf "%s" "x{{v}}y"`"',
      'printf "[%s]" "`printf "%s" \'x{{v}}y\'`"',
      'printf "[%s]" "`printf "%s" "$(printf "%s" {{v}})"`"',
      'x=`printf "%s" done # {{v}}\n`; printf "[%s]" "$x"',
      'printf "[%s]" "`cat <<EOF\nx{{v}}y\nEOF\n`"',
    ];
    const expected = [(v: string) => `[x${v}y]`, (v: string) => `[x${v}y]`, (v: string) => `[${v}]`, () => '[done]', (v: string) => `[x${v}y]`];
    scripts.forEach((script, n) => {
      for (const v of hostile) {
        if (script.includes('<<') && v.includes('\n')) continue;
        expect({ script, v, ...run(substituteShell(script, { v })) }).toEqual({ script, v, out: expected[n]!(v), files: [] });
      }
    });
    // in a backquote inside a backquote, the value would need quoting twice over: refused
    expect(() => substituteShell('echo `echo \\`echo {{v}}\\``', { v: 'x' })).toThrow('{{v}} stands in a backquote inside a backquote');
    expect(substituteShell('echo `echo \\`date\\`` {{v}}', { v: 'a b' })).toBe("echo `echo \\`date\\`` 'a b'");
  });

  it("quotes a value in bash's $'...' (code blocks run in bash), where \\' does not end the quote; sh runs nothing either", () => {
    for (const v of [...HOSTILE, "\\'; touch p7; '", "\\\\'; touch p8; '", 'two\nlines; touch p9']) {
      const script = substituteShell("printf '[%s]' $'x{{v}}y' {{v}}", { v });
      const dir = mkdtempSync(join(tmpdir(), 'shell-text-'));
      roots.push(dir);
      const out = execFileSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
      expect({ v, out, files: readdirSync(dir) }).toEqual({ v, out: `[x${v}y][${v}]`, files: [] });
      expect(run(script).files).toEqual([]);
    }
  });

  it("a case's ) does not end the $(...) around it: the value after it is quoted for where it stands", () => {
    const scripts: [string, (v: string) => string][] = [
      ['printf "[%s]" "$(case x in x) printf "%s" {{v}};; esac)"', (v) => `[${v}]`],
      ['printf "[%s]" "$(case x in\n  x) printf "%s" {{v}} ;;\nesac)" "{{v}}"', (v) => `[${v}][${v}]`],
      ['printf "[%s]" "$(if true; then case x in (x) printf "%s" {{v}};; esac; fi)"', (v) => `[${v}]`],
      ['printf "[%s]" "$(echo case) {{v}}" "$(echo x; esac=1) {{v}}"', (v) => `[case ${v}][x ${v}]`],
    ];
    for (const [script, expected] of scripts) {
      for (const v of [...HOSTILE, 'a b; touch p7']) expect({ script, v, ...run(substituteShell(script, { v })) }).toEqual({ script, v, out: expected(v), files: [] });
    }
  });

  it('quotes a value in the word of ${x:-word}, which may hold quotes of its own, in "..." or bare', () => {
    const scripts: [string, (v: string) => string][] = [
      ['printf "[%s]" "${x:-"{{v}}"}"', (v) => `[${v}]`],
      ['printf "[%s]" "${x:-"a{{v}}"}" "${x:-"$(printf "%s" {{v}})"}"', (v) => `[a${v}][${v}]`],
      ['printf "[%s]" ${x:-"{{v}}"} ${x:-{{v}}}', (v) => `[${v}][${v}]`],
      ["printf \"[%s]\" \"${x:-${y:-\"{{v}}\"}}\" '{{v}}'", (v) => `[${v}][${v}]`],
    ];
    for (const [script, expected] of scripts) {
      for (const v of [...HOSTILE, "a b; touch p7"]) expect({ script, v, ...run(substituteShell(script, { v })) }).toEqual({ script, v, out: expected(v), files: [] });
    }
  });

  it('refuses a line break in a here-document, leaves unknown names alone, and plain words unquoted', () => {
    expect(() => substituteShell('cat <<EOF\n{{v}}\nEOF', { v: 'a\nEOF\ntouch x' })).toThrow('variable "v" has a line break');
    expect(substituteShell('echo {{other}} {{v}}', { v: 'x y' })).toBe("echo {{other}} 'x y'");
    expect(substituteShell('exit {{v}}; cd {{v}}', { v: 'src/a-b_1.2' })).toBe('exit src/a-b_1.2; cd src/a-b_1.2'); // a plain word stays readable
  });
});

describe('substituteInstructions', () => {
  it('quotes in sh, bash and shell code blocks only', () => {
    const text = 'Say {{v}}.\n```sh\necho {{v}}\n```\n```js\nlog({{v}})\n```\n~~~bash step=x\necho "{{v}}"\n~~~';
    expect(substituteInstructions(text, { v: "it's" })).toBe(`Say it's.\n\`\`\`sh\necho 'it'\\''s'\n\`\`\`\n\`\`\`js\nlog(it's)\n\`\`\`\n~~~bash step=x\necho "it's"\n~~~`);
  });
});
