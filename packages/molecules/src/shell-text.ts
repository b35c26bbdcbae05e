// Variables pasted into shell commands (gates, and the sh/bash/shell code blocks of instructions) become
// literal text: each `{{name}}` is quoted for the quoting it sits in (none, '...', "...", bash's $'...', the word
// of ${x:-word}, $(...), a case, `...` (once more for each backquote around it), a comment, a here-document),
// so a value such as `$(rm -rf ~)` or `x; reboot` is an argument, never a command. Markdown text outside shell
// blocks keeps the value as it is.
import { BeadsError } from '@gastown/beads';
import { substitute } from './parse.js';

const VAR_USE = /\{\{\s*([^}]*?)\s*\}\}/y;
const SHELL_FENCE = /^\s*(```|~~~)\s*(sh|bash|shell)\b/;
const FENCE = /^\s*(```|~~~)/;
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

type Context = 'plain' | 'group' | 'case' | 'param' | 'backtick' | 'nested-backtick' | 'single' | 'ansi' | 'double' | 'comment' | 'heredoc' | 'heredoc-literal';

/**
 * The value quoted for where it stands. A backquoted command's text loses one level of backslashes before
 * its shell parses it (and ends at the first backquote left unescaped, whatever quotes it is in), so whatever
 * the inner quoting, the value's backslashes, backquotes and $ are escaped once more for each backquote
 * around it.
 */
function quoteIn(stack: Context[], value: string, name: string): string {
  const top = stack[stack.length - 1]!;
  if (top === 'nested-backtick') throw new BeadsError('invalid_input', `{{${name}}} stands in a backquote inside a backquote of a shell command, where it cannot be quoted: use $(...) there`, { variable: name });
  // in ${x:-word} the word is quoted as where the ${ stands: in "...", a here-document or bare
  const outer = top === 'param' ? stack.findLast((k) => k !== 'param')! : top;
  let quoted = quoteFor(top === 'param' ? (outer === 'double' || outer === 'heredoc' ? outer : 'plain') : top, value, name);
  for (const c of stack) if (c === 'backtick') quoted = quoted.replace(/[\\`$]/g, '\\$&');
  return quoted;
}

function quoteFor(context: Context, value: string, name: string): string {
  if (context === 'single') return value.replace(/'/g, `'\\''`);
  // bash's $'...' (where \' does not end it), which sh reads as $ and '...': closed, the value quoted, opened again
  if (context === 'ansi') return `'${quoteFor('plain', value, name)}$'`;
  if (context === 'double') return value.replace(/[\\$`"]/g, '\\$&');
  if (context === 'comment') return value.replace(/[\r\n]+/g, ' ');
  if (context === 'heredoc' || context === 'heredoc-literal') {
    // a line of the value could end the here-document early and run as commands
    if (/[\r\n]/.test(value)) throw new BeadsError('invalid_input', `variable "${name}" has a line break, and {{${name}}} stands in a here-document of a shell command, where it cannot be quoted`, { variable: name });
    return context === 'heredoc' ? value.replace(/[\\$`]/g, '\\$&') : value;
  }
  if (SAFE_WORD.test(value)) return value; // nothing in it means anything to the shell: left readable
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const HEREDOC = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/y;
// A reserved word where a command starts: after a separator, an opening, or another word that a command follows.
const COMMAND_START = /(?:^|[\n;&|(`{]|(?:^|[\s;&|(`{])(?:then|do|else|elif|if|while|until|!))[ \t]*$/;
const wordAt = (script: string, i: number, word: string): boolean =>
  script.startsWith(word, i) && !/[^\s;&|()<>]/.test(script[i + word.length] ?? ' ') && COMMAND_START.test(script.slice(0, i));
const WORD_START = /[\s;&|()]/;

/** Substitutes `{{name}}` in a shell script, quoting each value for where it stands. */
export function substituteShell(script: string, values: Record<string, string>): string {
  const stack: Context[] = ['plain'];
  const pendingDocs: { delimiter: string; strip: boolean; literal: boolean }[] = [];
  let doc: { delimiter: string; strip: boolean } | undefined;
  let out = '';
  for (let i = 0; i < script.length; ) {
    const top = stack[stack.length - 1]!;
    const lineStart = i === 0 || script[i - 1] === '\n';
    if (doc && lineStart) {
      const end = script.indexOf('\n', i);
      const line = script.slice(i, end < 0 ? script.length : end);
      if ((doc.strip ? line.replace(/^\t+/, '') : line) === doc.delimiter) {
        stack.pop();
        doc = undefined;
        out += line;
        i += line.length;
        continue;
      }
    }
    VAR_USE.lastIndex = i;
    const use = script.startsWith('{{', i) ? VAR_USE.exec(script) : null;
    if (use) {
      out += Object.hasOwn(values, use[1]!) ? quoteIn(stack, values[use[1]!]!, use[1]!) : use[0];
      i += use[0].length;
      continue;
    }
    const c = script[i]!;
    let take = 1;
    const inBackticks = stack.includes('backtick');
    if (inBackticks && c === '\\' && (script[i + 1] === '\\' || script[i + 1] === '`')) {
      // (whatever the quotes) an escaped backquote starts a backquote inside the backquote, whose text loses
      // two levels of backslashes, and more further in
      if (script[i + 1] === '`' && top !== 'nested-backtick') stack.push('nested-backtick');
      take = 2;
    } else if (inBackticks && c === '`') {
      // the first backquote left unescaped ends the backquoted command, whatever quotes stand between
      while (stack.pop() !== 'backtick');
    } else if (top === 'nested-backtick') {
      // nothing in it is followed: a variable there is refused
    } else if (top === 'single') {
      if (c === "'") stack.pop();
    } else if (top === 'comment') {
      if (c === '\n') stack.pop();
    } else if (top === 'heredoc-literal') {
      // nothing is special
    } else if (c === '\\') take = 2;
    else if (script.startsWith('${', i)) (stack.push('param'), (take = 2));
    else if (top === 'param') {
      // the word of ${x:-word} may hold quotes, expansions and commands of its own ('...' is literal in "${...}")
      if (c === '}') stack.pop();
      else if (c === '"') stack.push('double');
      else if (c === "'" && stack.findLast((k) => k !== 'param') !== 'double') stack.push('single');
      else if (script.startsWith('$(', i)) (stack.push('group'), (take = 2));
      else if (c === '`') stack.push('backtick');
    } else if (top === 'heredoc') {
      if (script.startsWith('$(', i)) (stack.push('group'), (take = 2));
      else if (c === '`') stack.push('backtick');
    } else if (top === 'double') {
      if (c === '"') stack.pop();
      else if (script.startsWith('$(', i)) (stack.push('group'), (take = 2));
      else if (c === '`') stack.push('backtick');
    } else if (top === 'ansi') {
      if (c === '\\') take = 2;
      else if (c === "'") stack.pop();
    } else if (c === '$' && script[i + 1] === "'") (stack.push('ansi'), (take = 2));
    else if (c === "'") stack.push('single');
    else if (c === '"') stack.push('double');
    else if (c === '#' && (i === 0 || WORD_START.test(script[i - 1]!))) stack.push('comment');
    // a case's patterns end with ), which does not end the $( ... ) or ( ... ) around it
    else if (c === 'c' && wordAt(script, i, 'case')) (stack.push('case'), (take = 4));
    else if (c === 'e' && top === 'case' && wordAt(script, i, 'esac')) (stack.pop(), (take = 4));
    else if (c === '(') stack.push('group');
    else if (c === ')' && top === 'group') stack.pop();
    else if (c === '`') stack.push('backtick');
    else if (script.startsWith('<<<', i)) take = 3; // a here-string, not a here-document
    else if (c === '<') {
      HEREDOC.lastIndex = i;
      const h = HEREDOC.exec(script);
      if (h) {
        pendingDocs.push({ delimiter: h[3]!, strip: h[1] === '-', literal: h[2] !== '' });
        take = h[0].length;
      }
    }
    if (c === '\n' && !doc && pendingDocs.length && stack[stack.length - 1] !== 'single' && stack[stack.length - 1] !== 'double') {
      const next = pendingDocs.shift()!;
      doc = next;
      stack.push(next.literal ? 'heredoc-literal' : 'heredoc');
    }
    out += script.slice(i, i + take);
    i += take;
  }
  return out;
}

/** Substitutes `{{name}}` in markdown: as it is in text, quoted inside sh, bash and shell code blocks. */
export function substituteInstructions(text: string, values: Record<string, string>): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(substitute(line, values));
    if (!FENCE.test(line)) continue;
    let end = i + 1;
    while (end < lines.length && !FENCE.test(lines[end]!)) end++;
    const body = lines.slice(i + 1, end);
    if (body.length) out.push(SHELL_FENCE.test(line) ? substituteShell(body.join('\n'), values) : substitute(body.join('\n'), values));
    if (end < lines.length) out.push(substitute(lines[end]!, values));
    i = end;
  }
  return out.join('\n');
}
